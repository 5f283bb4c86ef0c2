package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Set;
import org.shakenfist.sfdb.client.internal.channel.DefaultDeadline;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tracer every pick of an instance carries (least_request, peak_ewma, and any policy with ejection): counts
 * its calls in flight, times each for peak_ewma, and counts its failures in a row for ejection.
 */
final class EndpointTracer extends ClientStreamTracer.Factory {
  /** Statuses that say the instance failed the call (not the caller's own error, not a cancel). */
  static final Set<Status.Code> INSTANCE_FAILURES = java.util.EnumSet.of(Status.Code.UNAVAILABLE,
      Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DEADLINE_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED,
      Status.Code.DATA_LOSS);

  private final TierPolicy policy;
  private final AtomicInteger inFlight;
  private final PeakEwma latency;
  private final Ejection ejection;
  private final Runnable onEjectionThreshold;

  EndpointTracer(TierPolicy policy, AtomicInteger inFlight, PeakEwma latency, Ejection ejection,
      Runnable onEjectionThreshold) {
    this.policy = policy;
    this.inFlight = inFlight;
    this.latency = latency;
    this.ejection = ejection;
    this.onEjectionThreshold = onEjectionThreshold;
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
    inFlight.incrementAndGet();
    boolean timed = policy.pick() == Pick.PEAK_EWMA;
    long start = timed ? policy.ticker().getAsLong() : 0;
    return new ClientStreamTracer() {
      @Override
      public void streamClosed(Status status) {
        inFlight.decrementAndGet();
        boolean failed = INSTANCE_FAILURES.contains(DefaultDeadline.code(status, info.getCallOptions()));
        if (timed) {
          long now = policy.ticker().getAsLong();
          latency.observe(now - start, !failed, now);
        }
        if (policy.ejectAfter() > 0 && ejection.record(failed, policy.ejectAfter())) {
          onEjectionThreshold.run();
        }
      }
    };
  }
}
