import net from 'node:net';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';

/** A local listener whose every connection is tunnelled to one pod port through the API server. */
export interface Tunnel {
  readonly localPort: number;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 and forwards each accepted socket over its own port-forward stream, as `kubectl port-forward`
 * does; loopback only, so the tunnel is never exposed to the network.
 */
export async function openTunnel(
  kc: KubeConfig,
  namespace: string,
  podName: string,
  podPort: number,
  localPort = 0,
): Promise<Tunnel> {
  const forward = new PortForward(kc);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    forward.portForward(namespace, podName, [podPort], socket, null, socket).then(
      (ws) => {
        const close = () => {
          const w = typeof ws === 'function' ? ws() : ws;
          w?.close();
        };
        socket.on('close', close);
      },
      (err: unknown) => {
        console.error(`port-forward to ${namespace}/${podName}:${podPort} failed: ${err instanceof Error ? err.message : String(err)}`);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(localPort, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('tunnel listener has no TCP address');
  return {
    localPort: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
