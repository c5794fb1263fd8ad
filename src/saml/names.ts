// SAML 2.0 identifiers Adieu's registration names stand for (bindings §3, core §8.3).

export const BINDINGS = {
  'HTTP-POST': 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  'HTTP-Redirect': 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  SOAP: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP',
} as const;
export type BindingName = keyof typeof BINDINGS;

export function bindingName(urn: string): BindingName | undefined {
  return (Object.keys(BINDINGS) as BindingName[]).find((k) => BINDINGS[k] === urn);
}

export const NAME_ID_FORMATS = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;
export type NameIdFormatName = keyof typeof NAME_ID_FORMATS;

export function nameIdFormatName(urn: string): NameIdFormatName | undefined {
  return (Object.keys(NAME_ID_FORMATS) as NameIdFormatName[]).find((k) => NAME_ID_FORMATS[k] === urn);
}

/** core §8.2.2: attribute names that are URIs. */
export const ATTRNAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
export const ATTRNAME_FORMAT_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';

export const AUTHN_CONTEXT_PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
export const AUTHN_CONTEXT_UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
export const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** core §3.7.3: the reasons a LogoutRequest gives. */
export const LOGOUT_REASON = {
  user: 'urn:oasis:names:tc:SAML:2.0:logout:user',
  admin: 'urn:oasis:names:tc:SAML:2.0:logout:admin',
} as const;
