package org.shakenfist.sfdb.client.internal.count;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessSocketAddress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.CallCounts;

/** The attempt accounting alone: what it counts under which tags, and that racing attempts lose nothing. */
class EndpointAccountingTest {
  private static final MethodDescriptor<?, ?> GET = method("GetClusterConfig");
  private static final MethodDescriptor<?, ?> PUT = method("PutClusterConfig");
  private static final ClientStreamTracer.StreamInfo INFO =
      ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();

  private static void attempt(EndpointAccounting a, MethodDescriptor<?, ?> m, SocketAddress remote, Status status,
      long sleepMillis) throws InterruptedException {
    ClientStreamTracer t = a.factoryFor(m).newClientStreamTracer(INFO, new Metadata());
    if (remote != null) {
      t.streamCreated(Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, remote).build(), new Metadata());
    }
    if (sleepMillis > 0) {
      Thread.sleep(sleepMillis);
    }
    t.streamClosed(status);
  }

  @Test
  void countsAndTimesEachAttemptUnderEndpointMethodAndStatus() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EndpointAccounting a = new EndpointAccounting(registry);
    SocketAddress tcp = new InetSocketAddress("127.0.0.1", 13005);
    SocketAddress inProcess = new InProcessSocketAddress("gw-1");
    attempt(a, GET, tcp, Status.OK, 0);
    attempt(a, GET, tcp, Status.OK, 20);
    attempt(a, PUT, tcp, Status.UNAVAILABLE, 0);
    attempt(a, GET, inProcess, Status.OK, 0);
    attempt(a, GET, null, Status.UNAVAILABLE, 0); // no stream: no endpoint
    // an equal but distinct address object lands on the same endpoint
    attempt(a, PUT, new InetSocketAddress("127.0.0.1", 13005), Status.OK, 0);

    assertEquals(Map.of("127.0.0.1:13005", 4L, "gw-1", 1L, CallCounts.NO_ENDPOINT, 1L), a.snapshot().byEndpoint());
    assertEquals(2, count(registry, "127.0.0.1:13005", GET, "OK"));
    assertEquals(1, count(registry, "127.0.0.1:13005", PUT, "UNAVAILABLE"));
    assertEquals(1, count(registry, "127.0.0.1:13005", PUT, "OK"));
    assertEquals(1, count(registry, "gw-1", GET, "OK"));
    assertEquals(1, count(registry, CallCounts.NO_ENDPOINT, GET, "UNAVAILABLE"));
    Timer t = registry.get(EndpointAccounting.TIMER).tag("endpoint", "127.0.0.1:13005")
        .tag("method", GET.getFullMethodName()).tag("status", "OK").timer();
    assertEquals(2, t.count());
    assertTrue(t.max(TimeUnit.MILLISECONDS) >= 20, "the 20 ms attempt is the max: " + t.max(TimeUnit.MILLISECONDS));
    assertEquals(5, registry.find(EndpointAccounting.METER).counters().size());
    assertEquals(5, registry.find(EndpointAccounting.TIMER).timers().size());
  }

  @Test
  void racingAttemptsAreAllCounted() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EndpointAccounting a = new EndpointAccounting(registry);
    List<SocketAddress> addresses = List.of(new InetSocketAddress("127.0.0.1", 1), new InetSocketAddress("127.0.0.2", 1));
    Status[] statuses = {Status.OK, Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED};
    int threads = 8;
    int perThread = 5_000;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread w = new Thread(() -> {
        try {
          go.await();
          for (int n = 0; n < perThread; n++) {
            attempt(a, n % 2 == 0 ? GET : PUT, addresses.get(n % 5 % 2), statuses[n % 3], 0);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      w.start();
      workers.add(w);
    }
    go.countDown();
    for (Thread w : workers) {
      w.join();
    }
    long total = threads * perThread;
    assertEquals(total, a.snapshot().total());
    assertEquals(total, registry.find(EndpointAccounting.METER).counters().stream().mapToDouble(Counter::count).sum());
    assertEquals(total, registry.find(EndpointAccounting.TIMER).timers().stream().mapToLong(Timer::count).sum());
    assertEquals(2 * 2 * 3, registry.find(EndpointAccounting.METER).counters().size());
  }

  private static MethodDescriptor<byte[], byte[]> method(String name) {
    MethodDescriptor.Marshaller<byte[]> bytes = new MethodDescriptor.Marshaller<>() {
      @Override
      public java.io.InputStream stream(byte[] value) {
        return new java.io.ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(java.io.InputStream stream) {
        throw new UnsupportedOperationException();
      }
    };
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("shakenfist.protos.DatabaseService", name))
        .setRequestMarshaller(bytes).setResponseMarshaller(bytes).build();
  }

  private static double count(SimpleMeterRegistry registry, String endpoint, MethodDescriptor<?, ?> m, String status) {
    return registry.get(EndpointAccounting.METER).tag("endpoint", endpoint).tag("method", m.getFullMethodName())
        .tag("status", status).counter().count();
  }
}
