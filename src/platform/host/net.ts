// TCP connect probe: the only reachability check that cannot hang on a stuck SMB server (the
// kernel answers the handshake; we only wait for it, with a deadline).
import net from 'node:net';
import type { TcpProbe } from '../types';

export const tcpProbe: TcpProbe = (host, port, timeoutMs) =>
  new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
