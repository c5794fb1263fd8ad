import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { encrypt } from 'xml-encryption';
import { parseXml } from './xml.ts';
import { el, importElement, renderCanonical, type XmlElement } from './xml-writer.ts';

const encryptAsync = promisify(encrypt);

/**
 * An assertion encrypted for the SP (SAML core §2.3.4, XML Encryption 1.1): AES-256-GCM content
 * (the CBC modes fall to padding-oracle attacks on XML Encryption), the key wrapped with RSA-OAEP
 * for the SP's encryption certificate. xml-encryption does the cryptography; its EncryptedData is
 * brought into the canonical writer so the Response's signature covers it as written.
 */
export async function encryptAssertion(signedAssertion: XmlElement, certificatePem: string): Promise<XmlElement> {
  const encrypted = await encryptAsync(renderCanonical(signedAssertion), {
    rsa_pub: new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'pem' }) as string,
    pem: certificatePem,
    encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
    keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    disallowEncryptionWithInsecureAlgorithm: true,
  });
  return el('saml:EncryptedAssertion', {}, [importElement(parseXml(encrypted, Infinity).documentElement!)]);
}
