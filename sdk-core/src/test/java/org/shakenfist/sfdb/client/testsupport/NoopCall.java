package org.shakenfist.sfdb.client.testsupport;

import io.grpc.ClientCall;
import io.grpc.Metadata;

/** A call that does nothing, for code that only holds or cancels one (override {@link #cancel} to observe it). */
public class NoopCall extends ClientCall<Object, Object> {
  @Override
  public void start(Listener<Object> listener, Metadata headers) {}

  @Override
  public void request(int n) {}

  @Override
  public void cancel(String message, Throwable cause) {}

  @Override
  public void halfClose() {}

  @Override
  public void sendMessage(Object message) {}
}
