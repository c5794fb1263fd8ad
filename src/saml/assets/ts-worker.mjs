// The entry of a worker thread that runs one of Adieu's TypeScript modules (workerData.module, a
// file URL). A worker does not take the parent's tsx loader, nor can it start from a .ts file
// (Node refuses the extension before --import hooks apply), so it registers tsx itself.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
