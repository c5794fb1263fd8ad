import { parentPort } from 'node:worker_threads';
import { readLogoutResponse, soapBody } from './messages.ts';
import type { ReadAnswer, ReadRequest } from './logout-response-reader.ts';
import { verifiedMessage } from './signature.ts';
import { SamlError } from './xml.ts';

// The worker side of LogoutResponseReader: parse, verify and read each SOAP answer of a batch,
// and post back, as one message, what was read or why it was refused.
function read({ n, text, sp }: ReadRequest): ReadAnswer {
  try {
    const { root } = verifiedMessage(sp, text, undefined, soapBody);
    return { n, response: readLogoutResponse(root) };
  } catch (err) {
    return err instanceof SamlError
      ? { n, refused: { message: err.message, status: err.status, subStatus: err.subStatus } }
      : { n, failed: (err as Error)?.stack ?? String(err) };
  }
}

const port = parentPort!;
port.on('message', (batch: ReadRequest[]) => port.postMessage(batch.map(read)));
