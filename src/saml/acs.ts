import type { SamlServiceProvider } from '../clients/metadata.ts';
import type { AuthnRequest } from './messages.ts';
import { SamlError } from './xml.ts';

export type AssertionConsumerService = SamlServiceProvider['assertion_consumer_services'][number];

/**
 * Where a Response goes (core §3.4.1, metadata §2.4.4): the registered service the request names
 * by URL or index, else the SP's default (is_default, else the first). A URL that is not
 * registered is refused: the request may be forged, and the assertion must not go there.
 */
export function chooseAcs(sp: Pick<SamlServiceProvider, 'assertion_consumer_services'>, request: Pick<AuthnRequest, 'acsUrl' | 'acsIndex' | 'protocolBinding'> | undefined): AssertionConsumerService {
  const all = sp.assertion_consumer_services;
  if (request?.acsUrl !== undefined && request.acsIndex !== undefined) throw new SamlError('AssertionConsumerServiceURL and AssertionConsumerServiceIndex are mutually exclusive');
  if (request?.acsIndex !== undefined) {
    const found = all.find((a) => a.index === request.acsIndex);
    if (!found) throw new SamlError(`no assertion consumer service has index ${request.acsIndex}`);
    return found;
  }
  if (request?.acsUrl !== undefined) {
    const found = all.filter((a) => a.location === request.acsUrl);
    const match = found.find((a) => !request.protocolBinding || a.binding === request.protocolBinding);
    if (!found.length) throw new SamlError(`AssertionConsumerServiceURL ${request.acsUrl} is not registered for this application`);
    if (!match) throw new SamlError(`${request.acsUrl} is not registered with ProtocolBinding ${request.protocolBinding}`);
    return match;
  }
  const byDefault = all.find((a) => a.is_default) ?? all[0]!;
  const withBinding = request?.protocolBinding ? [byDefault, ...all].find((a) => a.binding === request.protocolBinding) : byDefault;
  if (!withBinding) throw new SamlError(`no assertion consumer service has ProtocolBinding ${request!.protocolBinding}`);
  return withBinding;
}
