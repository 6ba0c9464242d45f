package io.salientstream.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free local ports for ephemeral brokers and servers. */
final class Ports {
  private Ports() {}

  /**
   * {@code count} distinct free ports. Every socket stays bound until all are, so the system cannot
   * hand out the same port twice (two probes one after the other can: the first socket is closed
   * before the second is bound).
   */
  static int[] free(int count) {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        sockets[i] = new ServerSocket();
        sockets[i].setReuseAddress(true);
        sockets[i].bind(new InetSocketAddress("localhost", 0));
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free local port", e);
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          try {
            s.close();
          } catch (IOException e) {
            // a port we only probed; nothing to release
          }
        }
      }
    }
  }

  /** A free port other than {@code taken} (a port the caller already chose, or 0 for none). */
  static int freeOtherThan(int taken) {
    for (int p : free(2)) {
      if (p != taken) {
        return p;
      }
    }
    throw new IllegalStateException("unreachable: two distinct ports cannot both equal " + taken);
  }
}
