// Clients that send oversized messages in a loop, in a process of their own so their work does not
// slow the test process that measures a bystander. Half declare a 1 GB password message before
// authenticating, half a Query over Postgres's 1 GB limit after it; each then streams junk until the
// server refuses it, and reconnects at once. Runs until stdin closes; prints the number of
// 08P01 refusals it saw.
// Usage: node oversized-attackers.mjs HOST PORT DATABASE PASSWORD_ROLE CLIENTS
import { connect } from 'node:net';

const [host, port, database, passwordRole, clients] = process.argv.slice(2);
let running = true;
let refused = 0;
process.stdin.on('close', () => (running = false)).resume();

const int32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const startup = (user) => {
  const body = Buffer.concat([int32(196608), Buffer.from(`user\0${user}\0database\0${database}\0\0`)]);
  return Buffer.concat([int32(body.length + 4), body]);
};
const header = (type, length) => Buffer.concat([Buffer.from(type, 'latin1'), int32(length)]);
const junk = Buffer.alloc(64 << 10, 'j');

function attackOnce(beforeAuth) {
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    let received = Buffer.alloc(0);
    let open = true;
    const pump = () => {
      while (open && socket.write(junk));
    };
    socket.on('connect', () => {
      if (beforeAuth) {
        socket.write(Buffer.concat([startup(passwordRole), header('p', 0x3ffffffe)]));
        pump();
      } else socket.write(startup('postgres'));
    });
    socket.on('drain', pump);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      // Refused: reconnect at once, as an attacker would, rather than wait for the server to close.
      if (received.includes(Buffer.from('C08P01\0'))) return socket.destroy();
      // ReadyForQuery: authenticated, now the oversized Query.
      if (!beforeAuth && received.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
        received = Buffer.alloc(0);
        beforeAuth = true;
        socket.write(header('Q', 0x40000000));
        pump();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      open = false;
      if (received.includes(Buffer.from('C08P01\0'))) refused++;
      resolve();
    });
  });
}

await Promise.all(
  Array.from({ length: Number(clients) }, async (_, i) => {
    while (running) await attackOnce(i % 2 === 0);
  }),
);
process.stdout.write(`${refused}\n`);
