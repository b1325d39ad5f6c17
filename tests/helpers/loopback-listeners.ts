/** @module Test helper: TCP and UDP listeners on one loopback port that count every connection, datagram and byte. */
import dgram from 'node:dgram';
import net from 'node:net';

export interface LoopbackListeners {
  port: number;
  /** TCP connections accepted and UDP datagrams received. */
  contacts(): number;
  bytes(): number;
  close(): Promise<void>;
}

export async function listenOnLoopback(): Promise<LoopbackListeners> {
  let contacts = 0;
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    contacts += 1;
    sockets.add(socket);
    socket.on('data', (data) => {
      bytes += data.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (message) => {
    contacts += 1;
    bytes += message.length;
  });
  await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
  return {
    port,
    contacts: () => contacts,
    bytes: () => bytes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    },
  };
}
