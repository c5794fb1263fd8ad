// A minimal back-channel logout receiver in its own process: answers 200 to every POST and
// counts them, so the IdP under test does not share its event loop with the applications.
// argv[2]: each application's service time in ms (0 = answer at once).
import { createServer } from 'node:http';

const serviceMs = Number(process.argv[2] ?? 0);
let count = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    count++;
    if (serviceMs > 0) setTimeout(() => res.writeHead(200).end(), serviceMs);
    else res.writeHead(200).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => { if (m === 'count') process.send({ count }); });
