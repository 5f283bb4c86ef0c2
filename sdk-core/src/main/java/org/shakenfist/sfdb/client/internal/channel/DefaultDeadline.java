package org.shakenfist.sfdb.client.internal.channel;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The channel's default deadline ({@code SHAKENFIST_MARIADB_GATEWAY_DEADLINE}) when the SDK enforces it itself
 * ({@code DEADLINE_ON_WIRE=false}): a call with no earlier deadline of its own gets one task on the coarse timer
 * (one object and one CAS to schedule, one CAS to cancel) that cancels it when the deadline passes, and its
 * caller sees {@code DEADLINE_EXCEEDED}, as from grpc's own deadline. No {@code grpc-timeout} header is sent for
 * it, and no {@link Deadline}, per-call timer task on grpc's executor or server deadline context is made.
 *
 * <p>A call's {@link Expiry} travels to its attempts' tracers as its one stream tracer factory, which also makes
 * the per-endpoint accounting's tracers: one copy of the call's options carries both.
 */
public final class DefaultDeadline {
  private static final String CANCEL_DESCRIPTION = "sfdb-client: the channel's default deadline passed";

  private final long nanos;
  private final ScheduledExecutorService timer;
  private final String exceeded;

  /** {@code timer} should be a {@link CoarseTimer} lease, released by the channel's owner after the channel. */
  public DefaultDeadline(Duration deadline, ScheduledExecutorService timer) {
    this.nanos = deadline.toNanos();
    this.timer = timer;
    this.exceeded = "deadline exceeded after " + deadline.toMillis()
        + " ms: the channel's default deadline (SHAKENFIST_MARIADB_GATEWAY_DEADLINE)";
  }

  /**
   * Whether a call about to be made with {@code options} in the current context needs the default deadline: it
   * has none of its own, or only a later one.
   */
  public boolean appliesTo(CallOptions options) {
    Deadline own = options.getDeadline();
    Deadline context = Context.current().getDeadline();
    if (own == null && context == null) {
      return true;
    }
    Deadline earliest = own == null ? context : context == null ? own : own.minimum(context);
    return earliest.timeRemaining(TimeUnit.NANOSECONDS) > nanos;
  }

  /**
   * {@code options} carrying {@code expiry} as a stream tracer factory, so that the call's attempts count its
   * passing (see {@link #code}) and get the tracers of the factory the expiry was made with.
   */
  public static CallOptions withExpiry(CallOptions options, Expiry expiry) {
    return options.withStreamTracerFactory(expiry);
  }

  /**
   * Schedules the cancel of {@code call} at the deadline, marking {@code expiry} first; null when the timer is
   * already released (the channel is terminated, so the call fails anyway).
   */
  public ScheduledFuture<?> arm(ClientCall<?, ?> call, Expiry expiry) {
    expiry.call = call;
    try {
      return timer.schedule(expiry, nanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return null;
    }
  }

  /**
   * What the caller sees for a call that closed with {@code status}: {@code DEADLINE_EXCEEDED} in place of the
   * cancel the deadline issued.
   */
  public Status closing(Status status, Expiry expiry) {
    return expiry.passed && status.getCode() == Status.Code.CANCELLED ? Status.DEADLINE_EXCEEDED
        .withDescription(exceeded) : status;
  }

  /**
   * The code an attempt's tracer counts for {@code status}, given the call's options: {@code DEADLINE_EXCEEDED}
   * for an attempt cut short by the SDK's default deadline or by the call's own grpc deadline, so ejection,
   * peak_ewma and the per-endpoint counts see a deadline. (The transport reports such an attempt as some
   * {@code CANCELLED}: grpc's retry machinery, on by default, throws the attempt away when the call is cancelled,
   * by the SDK or by grpc's own deadline timer.)
   */
  public static Status.Code code(Status status, CallOptions options) {
    Status.Code code = status.getCode();
    if (code == Status.Code.CANCELLED) {
      List<ClientStreamTracer.Factory> factories = options.getStreamTracerFactories();
      for (int i = 0; i < factories.size(); i++) {
        if (factories.get(i) instanceof Expiry e && e.passed) {
          return Status.Code.DEADLINE_EXCEEDED;
        }
      }
      Deadline own = options.getDeadline();
      if (own != null && own.isExpired()) {
        return Status.Code.DEADLINE_EXCEEDED;
      }
    }
    return code;
  }

  /**
   * Whether one call's default deadline has passed; also the timer's task that cancels the call when it does,
   * and the call's stream tracer factory (it makes each attempt's tracer with the factory it was given).
   */
  public static final class Expiry extends ClientStreamTracer.Factory implements Runnable {
    private static final ClientStreamTracer NONE = new ClientStreamTracer() {};

    private final ClientStreamTracer.Factory attempts;
    private volatile boolean passed;
    private ClientCall<?, ?> call; // set by arm(), before the task is scheduled (which publishes it)

    /** {@code attempts} makes each attempt's tracer; null for none (a tracer that does nothing). */
    public Expiry(ClientStreamTracer.Factory attempts) {
      this.attempts = attempts;
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
      return attempts == null ? NONE : attempts.newClientStreamTracer(info, headers);
    }

    @Override
    public void run() {
      passed = true;
      call.cancel(CANCEL_DESCRIPTION, null);
    }
  }
}
