import { SamlRequestRefused } from '../idp.ts';
import { SamlError } from '../xml.ts';

/** A SamlError as the person sees it, when there is no trusted place to send a SAML answer. */
export async function refusing<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SamlError) throw new SamlRequestRefused(err.message);
    throw err;
  }
}
