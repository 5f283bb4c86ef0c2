package org.shakenfist.sfdb.examples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Test helper: ports on loopback addresses. */
final class LoopbackPorts {
  private LoopbackPorts() {}

  /** A port free on every given loopback address (closed again: nothing listens there). */
  static int freePort(String... addresses) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(addresses[0]))) {
        port = s.getLocalPort();
      }
      boolean free = true;
      for (String a : addresses) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(a))) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return port;
      }
    }
    throw new IllegalStateException("no common free port");
  }
}
