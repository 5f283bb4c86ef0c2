package org.shakenfist.sfdb.client.internal.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.testsupport.NoopCall;

/** The SDK's own default deadline: which calls it applies to and how its cancel is counted. */
class DefaultDeadlineTest {
  @Test
  void appliesOnlyWhenTheCallHasNoEarlierDeadlineInItsOptionsOrContext() throws Exception {
    ScheduledExecutorService timer = CoarseTimer.lease();
    try {
      DefaultDeadline d = new DefaultDeadline(Duration.ofSeconds(30), timer);
      assertTrue(d.appliesTo(CallOptions.DEFAULT));
      assertTrue(d.appliesTo(CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)));
      assertFalse(d.appliesTo(CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)));
      Context.CancellableContext early = Context.current().withDeadline(Deadline.after(5, TimeUnit.SECONDS), timer);
      try {
        assertFalse(early.call(() -> d.appliesTo(CallOptions.DEFAULT)), "the context's deadline is earlier");
        assertFalse(early.call(() -> d.appliesTo(CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS))));
      } finally {
        early.cancel(null);
      }
      Context.CancellableContext late = Context.current().withDeadline(Deadline.after(60, TimeUnit.SECONDS), timer);
      try {
        assertTrue(late.call(() -> d.appliesTo(CallOptions.DEFAULT)));
      } finally {
        late.cancel(null);
      }
    } finally {
      timer.shutdown();
    }
  }

  @Test
  void aCancelAfterTheDeadlineCountsAsDeadlineExceededAndOtherStatusesAsThemselves() throws Exception {
    ScheduledExecutorService timer = CoarseTimer.lease();
    try {
      DefaultDeadline d = new DefaultDeadline(Duration.ofMillis(20), timer);
      DefaultDeadline.Expiry expiry = new DefaultDeadline.Expiry(null);
      CallOptions options = DefaultDeadline.withExpiry(CallOptions.DEFAULT, expiry);
      assertEquals(Status.Code.CANCELLED, DefaultDeadline.code(Status.CANCELLED, options), "not yet passed");
      assertTrue(armAndAwaitCancel(d, expiry), "the armed deadline cancels the call");
      assertEquals(Status.Code.DEADLINE_EXCEEDED, DefaultDeadline.code(Status.CANCELLED, options));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, d.closing(Status.CANCELLED, expiry).getCode());
      assertEquals(Status.Code.OK, DefaultDeadline.code(Status.OK, options), "answered just in time");
      assertEquals(Status.Code.OK, d.closing(Status.OK, expiry).getCode());
      assertEquals(Status.Code.UNAVAILABLE, DefaultDeadline.code(Status.UNAVAILABLE, options));
      assertEquals(Status.Code.CANCELLED, DefaultDeadline.code(Status.CANCELLED, CallOptions.DEFAULT), "no deadline");
      // grpc's own deadline, passed, likewise
      CallOptions past = CallOptions.DEFAULT.withDeadlineAfter(-1, TimeUnit.SECONDS);
      assertEquals(Status.Code.DEADLINE_EXCEEDED, DefaultDeadline.code(Status.CANCELLED, past));
      assertEquals(Status.Code.CANCELLED,
          DefaultDeadline.code(Status.CANCELLED, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.HOURS)));
    } finally {
      timer.shutdown();
    }
  }

  @Test
  void theExpiryIsTheCallsTracerFactoryAndIsFoundBehindOtherFactories() throws Exception {
    ClientStreamTracer made = new ClientStreamTracer() {};
    ClientStreamTracer.Factory attempts = new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        return made;
      }
    };
    ClientStreamTracer.StreamInfo info = ClientStreamTracer.StreamInfo.newBuilder().build();
    DefaultDeadline.Expiry counted = new DefaultDeadline.Expiry(attempts);
    assertSame(made, counted.newClientStreamTracer(info, new Metadata()), "the attempts' factory makes the tracer");
    assertNotNull(new DefaultDeadline.Expiry(null).newClientStreamTracer(info, new Metadata()), "none: a no-op");

    ScheduledExecutorService timer = CoarseTimer.lease();
    try {
      DefaultDeadline d = new DefaultDeadline(Duration.ofMillis(1), timer);
      CallOptions options = DefaultDeadline.withExpiry(CallOptions.DEFAULT.withStreamTracerFactory(attempts), counted);
      assertEquals(List.of(attempts, counted), options.getStreamTracerFactories(), "one factory added, not two");
      assertTrue(armAndAwaitCancel(d, counted));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, DefaultDeadline.code(Status.CANCELLED, options));
      assertEquals(Status.Code.CANCELLED,
          DefaultDeadline.code(Status.CANCELLED, CallOptions.DEFAULT.withStreamTracerFactory(attempts)));
    } finally {
      timer.shutdown();
    }
  }

  @Test
  void aReleasedTimerArmsNothing() {
    ScheduledExecutorService timer = CoarseTimer.lease();
    DefaultDeadline d = new DefaultDeadline(Duration.ofSeconds(30), timer);
    timer.shutdown();
    assertNull(d.arm(new NoopCall(), new DefaultDeadline.Expiry(null)));
  }

  /** Arms {@code d} for a call and waits for the deadline's cancel of it; false after 5 s without. */
  private static boolean armAndAwaitCancel(DefaultDeadline d, DefaultDeadline.Expiry expiry) throws Exception {
    java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
    d.arm(new NoopCall() {
      @Override
      public void cancel(String message, Throwable cause) {
        cancelled.countDown();
      }
    }, expiry);
    return cancelled.await(5, TimeUnit.SECONDS);
  }
}
