package org.shakenfist.sfdb.client.internal.health;

import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancer.CreateSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelStateListener;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.grpc.util.ForwardingLoadBalancerHelper;
import io.grpc.util.ForwardingSubchannel;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.logging.Logger;

/**
 * A health producer in grpc-java's sense (compare {@code io.grpc.util.HealthProducerHelper} and grpc's
 * {@code HealthCheckingLoadBalancerFactory}): a helper whose subchannels poll {@code grpc.health.v1.Health/Check}
 * (unary, service {@code ""}) while READY and hand the result to the health consumer that created them, the
 * listener under {@link LoadBalancer#HEALTH_CONSUMER_LISTENER_ARG_KEY}. The raw state listener is a pass-through:
 * pick_first below sees the connection's true state, never a health verdict.
 *
 * <p>What the consumer is told: the raw state while not READY; while READY, {@code CONNECTING} until the first
 * answer, {@code READY} after SERVING (or UNIMPLEMENTED: a server without a health service counts as healthy,
 * warned once per helper), {@code TRANSIENT_FAILURE} at once after any other answer, and after
 * {@link PollConfig#failures()} polls in a row without an answer. The next poll goes out one interval (+-
 * {@link PollConfig#jitter()}) after the previous answer, on the helper's synchronization context and scheduler
 * (so a fake clock drives it). A
 * subchannel created without a consumer listener is not wrapped.
 */
public final class HealthPollingHelper extends ForwardingLoadBalancerHelper {
  private static final Logger log = Logger.getLogger(HealthPollingHelper.class.getName());
  private final LoadBalancer.Helper delegate;
  private static final int DRAWS = 1 << 20;
  private final PollConfig config;
  private final IntUnaryOperator random;
  private boolean warnedUnimplemented;

  /** @param random {@code bound -> [0, bound)}: draws each wait's jitter (the policy's random source) */
  public HealthPollingHelper(LoadBalancer.Helper delegate, PollConfig config, IntUnaryOperator random) {
    this.delegate = delegate;
    this.config = config;
    this.random = random;
  }

  @Override
  protected LoadBalancer.Helper delegate() {
    return delegate;
  }

  @Override
  public Subchannel createSubchannel(CreateSubchannelArgs args) {
    SubchannelStateListener consumer = args.getOption(LoadBalancer.HEALTH_CONSUMER_LISTENER_ARG_KEY);
    if (consumer == null) {
      return super.createSubchannel(args);
    }
    // this producer is the consumer's only one: what is below (grpc's outlier detection, say) must not see the
    // consumer, or it would send health of its own past this producer. grpc has no way to remove one option, so
    // the args below carry addresses and attributes only (pick_first under a petiole policy sets no other).
    CreateSubchannelArgs below = CreateSubchannelArgs.newBuilder().setAddresses(args.getAddresses())
        .setAttributes(args.getAttributes()).build();
    return new PolledSubchannel(super.createSubchannel(below), consumer);
  }

  private final class PolledSubchannel extends ForwardingSubchannel {
    private final Subchannel delegate;
    private final SubchannelStateListener consumer;
    private final SynchronizationContext sync = getSynchronizationContext();
    private SynchronizationContext.ScheduledHandle timer;
    private io.grpc.ClientCall<?, ?> inFlight; // the poll under way, cancelled when polling stops
    private long generation;
    private int unanswered;
    private boolean healthy;

    PolledSubchannel(Subchannel delegate, SubchannelStateListener consumer) {
      this.delegate = delegate;
      this.consumer = consumer;
    }

    @Override
    protected Subchannel delegate() {
      return delegate;
    }

    @Override
    public void start(SubchannelStateListener listener) {
      delegate.start(info -> {
        stop();
        if (info.getState() == ConnectivityState.READY) {
          // until the first answer the consumer hears CONNECTING: an instance enters only after SERVING
          healthy = false;
          unanswered = 0;
          consumer.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.CONNECTING));
          listener.onSubchannelState(info);
          poll(generation);
        } else { // the connection first, then its health (as grpc's HealthProducerHelper fans out)
          listener.onSubchannelState(info);
          consumer.onSubchannelState(info);
        }
      });
    }

    @Override
    public void shutdown() {
      stop();
      delegate.shutdown();
    }

    private void stop() {
      generation++;
      if (timer != null) {
        timer.cancel();
        timer = null;
      }
      if (inFlight != null) {
        inFlight.cancel("sfdb: health poll no longer needed", null);
        inFlight = null;
      }
    }

    private void poll(long gen) {
      timer = null;
      if (gen != generation) {
        return; // stopped since this poll was scheduled
      }
      CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(config.timeout().toNanos(), TimeUnit.NANOSECONDS);
      var call = delegate.asChannel().newCall(HealthGrpc.getCheckMethod(), options);
      inFlight = call;
      ClientCalls.asyncUnaryCall(call, HealthChecks.ALL_SERVICES, new StreamObserver<>() {
        @Override
        public void onNext(HealthCheckResponse r) {
          sync.execute(() -> answered(gen, r.getStatus()));
        }

        @Override
        public void onError(Throwable t) {
          Status s = Status.fromThrowable(t);
          sync.execute(() -> failed(gen, s));
        }

        @Override
        public void onCompleted() {}
      });
    }

    private void answered(long gen, HealthCheckResponse.ServingStatus status) {
      if (gen != generation) {
        return;
      }
      if (status == HealthCheckResponse.ServingStatus.SERVING) {
        report(true, null);
      } else { // the server said so: no strikes needed
        report(false, Status.UNAVAILABLE.withDescription("health poll: status " + status));
      }
      next(gen);
    }

    private void failed(long gen, Status s) {
      if (gen != generation) {
        return;
      }
      if (s.getCode() == Status.Code.UNIMPLEMENTED) {
        if (!warnedUnimplemented) {
          warnedUnimplemented = true;
          log.warning("sfdb: gateway " + delegate.getAddresses() + " has no grpc.health.v1 service; treating it "
              + "as healthy");
        }
        report(true, null);
      } else if (++unanswered >= config.failures() || !healthy) {
        // silence takes `failures` strikes to remove a healthy instance; one that never answered stays out
        report(false, Status.UNAVAILABLE.withDescription("health poll: " + HealthChecks.describe(s)));
      }
      next(gen);
    }

    private void report(boolean nowHealthy, Status problem) {
      if (nowHealthy) {
        unanswered = 0;
      }
      healthy = nowHealthy;
      consumer.onSubchannelState(nowHealthy ? ConnectivityStateInfo.forNonError(ConnectivityState.READY)
          : ConnectivityStateInfo.forTransientFailure(problem));
    }

    private void next(long gen) {
      inFlight = null;
      long wait = config.jitter() == 0 ? config.interval().toNanos()
          : config.waitNanos(random.applyAsInt(DRAWS) / (double) DRAWS);
      timer = sync.schedule(() -> poll(gen), wait, TimeUnit.NANOSECONDS, getScheduledExecutorService());
    }
  }
}
