package org.shakenfist.sfdb.client;

/** How the channel reaches gateway instances. */
public enum Transport {
  /** HTTP/2 over TCP (grpc-netty). Hosts are IP literals or DNS names. The default. */
  NETTY,
  /**
   * grpc-java's in-process transport: each host name is the name of an in-process server in this JVM
   * (ports are ignored). Used to embed a gateway in the same process, and by the testkit.
   */
  IN_PROCESS
}
