import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { describeIssues } from '../clients/metadata.ts';
import { configSchema, type AdieuConfig } from './schema.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables that override secrets, so config files can be committed without them. */
export const ENV_OVERRIDES = {
  ADIEU_ADMIN_TOKEN: 'secrets.admin_token',
  ADIEU_COOKIE_KEYS: 'secrets.cookie_keys (comma-separated)',
  ADIEU_METRICS_TOKEN: 'secrets.metrics_token',
  ADIEU_DATABASE_URL: 'storage (a postgres:// URL switches storage to PostgreSQL)',
  'ADIEU_CONNECTION_<NAME>_CLIENT_SECRET': 'connections[name].client_secret (NAME upper-cased, non-alphanumerics as _)',
  'ADIEU_CLIENT_<CLIENT_ID>_SECRET': 'clients[client_id].client_secret (likewise)',
} as const;

const envKey = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

function applyEnv(raw: any, env: NodeJS.ProcessEnv): any {
  if (!raw || typeof raw !== 'object') return raw;
  const out = structuredClone(raw);
  if (env.ADIEU_ADMIN_TOKEN) (out.secrets ??= {}).admin_token = env.ADIEU_ADMIN_TOKEN;
  if (env.ADIEU_COOKIE_KEYS) (out.secrets ??= {}).cookie_keys = env.ADIEU_COOKIE_KEYS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.ADIEU_METRICS_TOKEN) (out.secrets ??= {}).metrics_token = env.ADIEU_METRICS_TOKEN;
  if (env.ADIEU_DATABASE_URL) out.storage = { kind: 'postgres', url: env.ADIEU_DATABASE_URL };
  for (const c of Array.isArray(out.connections) ? out.connections : []) {
    const secret = typeof c?.name === 'string' && env[`ADIEU_CONNECTION_${envKey(c.name)}_CLIENT_SECRET`];
    if (secret) c.client_secret = secret;
  }
  for (const c of Array.isArray(out.clients) ? out.clients : []) {
    const secret = typeof c?.client_id === 'string' && env[`ADIEU_CLIENT_${envKey(c.client_id)}_SECRET`];
    if (secret) c.client_secret = secret;
  }
  return out;
}

/** Validates a parsed config object; errors name each path and problem. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): AdieuConfig {
  const result = configSchema.safeParse(applyEnv(raw, env));
  if (!result.success) throw new ConfigError(`invalid configuration: ${describeIssues(result.error)}`);
  return result.data;
}

/** Reads a JSON or YAML file; relative paths (sqlite, TLS files, the back-channel CA file) are taken relative to the file. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): AdieuConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  const config = parseConfig(raw, env);
  const fromFile = (path: string) => resolve(dirname(resolve(file)), path);
  if (config.storage.kind === 'sqlite' && config.storage.path !== ':memory:') config.storage.path = fromFile(config.storage.path);
  if (config.logout.backchannel.ca_file) config.logout.backchannel.ca_file = fromFile(config.logout.backchannel.ca_file);
  if (config.tls) config.tls = { key_file: fromFile(config.tls.key_file), cert_file: fromFile(config.tls.cert_file) };
  return config;
}

/** A file a setting names (TLS key, CA bundle), read at start; one that cannot be read stops the start, naming the setting. */
export function readSettingFile(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${setting}: cannot read ${path}: ${(err as Error).message}`);
  }
}
