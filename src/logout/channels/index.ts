import type { SamlIdp } from '../../saml/idp.ts';
import type { HostPolicy } from '../host-policy.ts';
import type { LogoutTokenSigner } from '../logout-token.ts';
import { backchannel } from './backchannel.ts';
import type { BrowserChannel, LogoutChannel, ServerChannel } from './channel.ts';
import { frontchannel } from './frontchannel.ts';
import { legacyGet } from './legacy-get.ts';
import { samlFrontchannel, samlTopLevel } from './saml-frontchannel.ts';
import { samlSoap } from './saml-soap.ts';

export type { AttemptResult, BrowserChannel, LogoutChannel, ServerChannel } from './channel.ts';

/** What an application that no channel reaches gets: a delivery that says so. */
export const NO_CHANNEL = { name: 'none', label: 'no logout URL' } as const;
/** What the application that asked for the logout gets (SAML SP-initiated): a delivery that records it signed out first. */
export const INITIATOR = { name: 'initiator', label: 'asked for this sign-out' } as const;

/** The channels Adieu plans deliveries on, in the order a logout lists them per application. */
export class Channels {
  readonly #byName: Map<string, LogoutChannel>;

  constructor(readonly all: readonly LogoutChannel[]) {
    this.#byName = new Map(all.map((c) => [c.name, c]));
  }

  server(name: string): ServerChannel | undefined {
    const c = this.#byName.get(name);
    return c?.kind === 'server' ? c : undefined;
  }

  browser(name: string): BrowserChannel | undefined {
    const c = this.#byName.get(name);
    return c?.kind === 'browser' ? c : undefined;
  }

  label(name: string): string {
    return this.#byName.get(name)?.label ?? ([NO_CHANNEL, INITIATOR].find((c) => c.name === name)?.label ?? name);
  }

  async close() {
    await Promise.all(this.all.map((c) => (c.kind === 'server' ? c.close() : undefined)));
  }
}

export function createChannels(deps: { sign: LogoutTokenSigner; policy: HostPolicy; timeout_ms: number; saml: SamlIdp; frontchannel_timeout_ms: number; ca?: string }): Channels {
  // a browser-carried LogoutRequest stays valid while the page may still be loading it
  const samlLifetime_s = Math.ceil(deps.frontchannel_timeout_ms / 1000) + 60;
  return new Channels([
    backchannel(deps), frontchannel, legacyGet,
    samlSoap(deps),
    ...(['HTTP-Redirect', 'HTTP-POST'] as const).map((binding) => samlFrontchannel({ saml: deps.saml, binding, lifetime_s: samlLifetime_s })),
    samlTopLevel({ saml: deps.saml, lifetime_s: samlLifetime_s }),
  ]);
}
