import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/types.ts';

/**
 * Keys that sign Adieu's cookies. Configured keys win (first signs, all verify, so they can be
 * rotated); otherwise one is generated once and kept in storage so every node and restart agrees.
 */
export async function loadCookieKeys(storage: Storage, configured: string[] | undefined): Promise<string[]> {
  if (configured?.length) return configured;
  return [await storage.setSettingIfAbsent('cookie_key', randomBytes(32).toString('base64url'))];
}
