package org.shakenfist.sfdb.client.internal.health;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancer.CreateSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelStateListener;
import io.grpc.SynchronizationContext;
import io.grpc.util.ForwardingLoadBalancerHelper;
import io.grpc.util.ForwardingSubchannel;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.IntUnaryOperator;

/**
 * A health producer in grpc-java's sense (compare {@code io.grpc.util.HealthProducerHelper} and grpc's
 * {@code HealthCheckingLoadBalancerFactory}): a helper whose subchannels, while READY, take part in the
 * {@code grpc.health.v1.Health/Check} polls (unary, service {@code ""}) of their instance and hand each verdict
 * to the health consumer that created them, the listener under {@link LoadBalancer#HEALTH_CONSUMER_LISTENER_ARG_KEY}.
 * The raw state listener is a pass-through: pick_first below sees the connection's true state, never a health
 * verdict. The polls are {@link SharedHealthPolls}' loops: with {@link SharedHealthPolls#PROCESS} one per instance
 * for the whole process, whichever channel's connection carries them.
 *
 * <p>What the consumer is told: the raw state while not READY; while READY, {@code CONNECTING} until its loop's
 * first verdict (at once when the loop has one), then each verdict: {@code READY} after SERVING (or UNIMPLEMENTED,
 * warned once), {@code TRANSIENT_FAILURE} at once after any other answer, and after {@link PollConfig#failures()}
 * polls in a row without an answer. The next poll goes out one interval (+- {@link PollConfig#jitter()}) after the
 * previous answer, on the leading subchannel's synchronization context and scheduler (so a fake clock drives it).
 * A subchannel created without a consumer listener is not wrapped.
 */
public final class HealthPollingHelper extends ForwardingLoadBalancerHelper {
  private final LoadBalancer.Helper delegate;
  private final PollConfig config;
  private final IntUnaryOperator random;
  private final SharedHealthPolls polls;

  /**
   * @param random {@code bound -> [0, bound)}: draws each wait's jitter (the policy's random source)
   * @param polls the scope whose loops this helper's subchannels join: {@link SharedHealthPolls#PROCESS}, or null
   *     for a scope of this helper's own
   */
  public HealthPollingHelper(LoadBalancer.Helper delegate, PollConfig config, IntUnaryOperator random,
      SharedHealthPolls polls) {
    this.delegate = delegate;
    this.config = config;
    this.random = random;
    this.polls = polls != null ? polls : new SharedHealthPolls();
  }

  /** With polls of this helper's own. */
  public HealthPollingHelper(LoadBalancer.Helper delegate, PollConfig config, IntUnaryOperator random) {
    this(delegate, config, random, null);
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

  private final class PolledSubchannel extends ForwardingSubchannel implements SharedHealthPolls.Member {
    private final Subchannel delegate;
    private final SubchannelStateListener consumer;
    private final SynchronizationContext sync = getSynchronizationContext();
    private final ScheduledExecutorService scheduler = getScheduledExecutorService();
    private SharedHealthPolls.Loop loop; // the loop it is a member of while READY
    private volatile long epoch; // changed on sync only; read by a loop to stamp verdicts

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
          // until its loop's first answer the consumer hears CONNECTING: an instance enters only after SERVING
          consumer.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.CONNECTING));
          listener.onSubchannelState(info);
          SharedHealthPolls.Joined joined = polls.join(delegate.getAllAddresses(), config, this);
          loop = joined.loop();
          if (joined.verdict() != null) {
            consumer.onSubchannelState(joined.verdict());
          }
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
      epoch++;
      if (loop != null) {
        SharedHealthPolls.Loop l = loop;
        loop = null;
        polls.leave(l, this);
      }
    }

    @Override
    public io.grpc.Channel connection() {
      return delegate.asChannel();
    }

    @Override
    public SynchronizationContext sync() {
      return sync;
    }

    @Override
    public ScheduledExecutorService scheduler() {
      return scheduler;
    }

    @Override
    public int draw(int bound) {
      return random.applyAsInt(bound);
    }

    @Override
    public long epoch() {
      return epoch;
    }

    @Override
    public void verdict(long stamped, ConnectivityStateInfo info) {
      if (stamped == epoch) {
        consumer.onSubchannelState(info);
      }
    }
  }
}
