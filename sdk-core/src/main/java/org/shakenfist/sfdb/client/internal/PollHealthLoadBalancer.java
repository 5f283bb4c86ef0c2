package org.shakenfist.sfdb.client.internal;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger.ChannelLogLevel;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.grpc.util.ForwardingLoadBalancer;
import io.grpc.util.ForwardingLoadBalancerHelper;
import io.grpc.util.ForwardingSubchannel;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.shakenfist.sfdb.client.EndpointState;
import org.shakenfist.sfdb.client.GatewayHost;

/**
 * The SDK's policy (see {@link PollHealthLoadBalancerProvider}): a child policy (the config's
 * {@code childPolicy}: round_robin, {@code sfdb_least_request} or pick_first) whose subchannels it watches,
 * reporting each one's state to the channel's {@link EndpointStates}, and, when the config says
 * {@code poll}, health-checks with unary polls. Each READY instance is polled every interval; it leaves
 * the rotation when it answers anything but SERVING (at once: the server said so, e.g. while draining) or
 * after {@code failures} polls in a row got no answer. A server without
 * a health service (UNIMPLEMENTED) is treated as healthy, with one warning. When every READY instance is
 * unhealthy the policy panics and sends to all of them (logged once per panic), rather than to none.
 *
 * <p>The wrapper sits between its child policy and grpc's subchannels and only changes the state the child
 * sees (READY → TRANSIENT_FAILURE while unhealthy); connection management stays grpc's.
 */
final class PollHealthLoadBalancer extends ForwardingLoadBalancer {
  private final Helper helper;
  private final SynchronizationContext syncContext;
  private LoadBalancer child; // created by the first resolution: the config names it
  private Object childConfig;
  private final Set<PolledSubchannel> subchannels = new LinkedHashSet<>();
  private PollHealthConfig config; // from the service config, before any subchannel exists
  private EndpointStates states; // from the resolver; null when the channel is not the SDK's
  private boolean panic;
  private boolean warnedUnimplemented;

  PollHealthLoadBalancer(Helper helper) {
    this.helper = helper;
    this.syncContext = helper.getSynchronizationContext();
  }

  @Override
  protected LoadBalancer delegate() {
    return child; // null until the first resolution; every method grpc calls before that is overridden
  }

  @Override
  public boolean canHandleEmptyAddressListFromNameResolution() {
    return child != null && child.canHandleEmptyAddressListFromNameResolution();
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    if (resolved.getLoadBalancingPolicyConfig() instanceof PollHealthConfig c) {
      config = c;
    }
    EndpointStates s = resolved.getAttributes().get(EndpointStates.ATTR);
    if (s != null) {
      states = s;
    }
    if (child == null) {
      LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(config.childPolicy());
      childConfig = provider.parseLoadBalancingPolicyConfig(Map.of()).getConfig();
      child = provider.newLoadBalancer(new ForwardingLoadBalancerHelper() {
        @Override
        protected Helper delegate() {
          return helper;
        }

        @Override
        public Subchannel createSubchannel(CreateSubchannelArgs args) {
          return new PolledSubchannel(helper.createSubchannel(args));
        }
      });
    }
    return child.acceptResolvedAddresses(resolved.toBuilder().setLoadBalancingPolicyConfig(childConfig).build());
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (child == null) {
      helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
          new FixedResultPicker(PickResult.withError(error)));
    } else {
      child.handleNameResolutionError(error);
    }
  }

  @Override
  public void requestConnection() {
    if (child != null) {
      child.requestConnection();
    }
  }

  @Override
  public void shutdown() {
    for (PolledSubchannel s : subchannels) {
      s.stopPolling();
    }
    subchannels.clear();
    if (child != null) {
      child.shutdown();
    }
  }

  private void updatePanic() {
    boolean anyReady = false;
    boolean allUnhealthy = true;
    for (PolledSubchannel s : subchannels) {
      if (s.raw.getState() == ConnectivityState.READY) {
        anyReady = true;
        allUnhealthy &= !s.healthy;
      }
    }
    boolean now = anyReady && allUnhealthy;
    if (now == panic) {
      return;
    }
    panic = now;
    helper.getChannelLogger().log(now ? ChannelLogLevel.WARNING : ChannelLogLevel.INFO, now
        ? "sfdb: every gateway instance failed its health polls: panic mode, sending to all of them"
        : "sfdb: a gateway instance is healthy again: panic mode over");
    if (now) {
      java.util.logging.Logger.getLogger(PollHealthLoadBalancer.class.getName()).warning(
          "sfdb: every gateway instance of " + helper.getAuthority()
              + " failed its health polls: panic mode, sending calls to all of them");
    }
    for (PolledSubchannel s : subchannels) {
      s.deliver();
    }
  }

  private final class PolledSubchannel extends ForwardingSubchannel {
    private final Subchannel delegate;
    private SubchannelStateListener listener;
    private ConnectivityStateInfo raw = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);
    private ConnectivityStateInfo delivered;
    private boolean healthy = true;
    private int failures;
    private String lastProblem = "";
    private EndpointState.Health health = EndpointState.Health.UNKNOWN;
    private GatewayHost reportedHost;
    private java.net.SocketAddress reportedAddress;
    private SynchronizationContext.ScheduledHandle timer;
    private long generation;

    PolledSubchannel(Subchannel delegate) {
      this.delegate = delegate;
    }

    @Override
    protected Subchannel delegate() {
      return delegate;
    }

    @Override
    public void start(SubchannelStateListener listener) {
      this.listener = listener;
      subchannels.add(this);
      delegate.start(info -> {
        raw = info;
        if (info.getState() == ConnectivityState.READY) {
          healthy = true;
          failures = 0;
          health = EndpointState.Health.UNKNOWN;
          if (config.poll()) {
            startPolling();
          }
        } else {
          stopPolling();
        }
        deliver();
        updatePanic();
      });
    }

    @Override
    public void shutdown() {
      stopPolling();
      subchannels.remove(this);
      delegate.shutdown();
      updatePanic();
      if (states != null && reportedHost != null) {
        states.remove(reportedHost, reportedAddress);
      }
    }

    /** Tells the channel's endpoint view what this subchannel is and whether calls go to it. */
    private void report() {
      if (states == null) {
        return;
      }
      // round_robin's and least_request's subchannels have one address group; pick_first's has all of them
      // and connects to one, known only while READY
      List<EquivalentAddressGroup> groups = delegate.getAllAddresses();
      EquivalentAddressGroup group = null;
      if (groups.size() == 1) {
        group = groups.get(0);
      } else if (raw.getState() == ConnectivityState.READY) {
        Attributes connected = delegate.getConnectedAddressAttributes();
        group = groups.stream().filter(g -> g.getAttributes().equals(connected)).findFirst().orElse(null);
      }
      if (group != null && group.getAttributes().get(SfdbNameResolver.GATEWAY_HOST) != null) {
        reportedHost = group.getAttributes().get(SfdbNameResolver.GATEWAY_HOST);
        reportedAddress = group.getAddresses().get(0);
      }
      if (reportedHost == null) {
        return;
      }
      EndpointState.Health h = config.poll() ? health : states.initialHealth();
      boolean inRotation = delivered != null && delivered.getState() == ConnectivityState.READY;
      String problem = inRotation ? ""
          : raw.getState() == ConnectivityState.READY ? "health poll: " + lastProblem
          : raw.getStatus().isOk() ? "" : HealthChecks.describe(raw.getStatus());
      states.update(reportedHost, reportedAddress, raw.getState(), h, inRotation, problem);
    }

    void deliver() {
      ConnectivityStateInfo effective = raw;
      if (raw.getState() == ConnectivityState.READY && !healthy && !panic) {
        effective = ConnectivityStateInfo.forTransientFailure(
            Status.UNAVAILABLE.withDescription("sfdb health poll: " + lastProblem));
      }
      if (!effective.equals(delivered) && listener != null) {
        delivered = effective;
        listener.onSubchannelState(effective);
      }
      report();
    }

    private void startPolling() {
      stopPolling();
      long gen = ++generation;
      poll(gen);
    }

    void stopPolling() {
      generation++;
      if (timer != null) {
        timer.cancel();
        timer = null;
      }
    }

    private void poll(long gen) {
      if (gen != generation) {
        return;
      }
      CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(config.timeout().toNanos(), TimeUnit.NANOSECONDS);
      ClientCalls.asyncUnaryCall(delegate.asChannel().newCall(HealthGrpc.getCheckMethod(), options),
          HealthChecks.ALL_SERVICES,
          new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse r) {
              syncContext.execute(() -> onResult(gen, r.getStatus() == HealthCheckResponse.ServingStatus.SERVING,
                  true, "status " + r.getStatus()));
            }

            @Override
            public void onError(Throwable t) {
              Status s = Status.fromThrowable(t);
              syncContext.execute(() -> {
                if (s.getCode() == Status.Code.UNIMPLEMENTED) {
                  if (!warnedUnimplemented) {
                    warnedUnimplemented = true;
                    java.util.logging.Logger.getLogger(PollHealthLoadBalancer.class.getName()).warning(
                        "sfdb: gateway " + delegate.getAddresses() + " has no grpc.health.v1 service; treating it "
                            + "as healthy");
                  }
                  onResult(gen, true, true, "no health service");
                } else {
                  onResult(gen, false, false, HealthChecks.describe(s));
                }
              });
            }

            @Override
            public void onCompleted() {}
          });
    }

    private void onResult(long gen, boolean ok, boolean answered, String problem) {
      if (gen != generation) {
        return;
      }
      if (ok) {
        failures = 0;
        healthy = true;
        health = EndpointState.Health.SERVING;
      } else {
        lastProblem = problem;
        failures++;
        // A server that answers "not serving" said so: leave at once. Silence needs `failures` strikes.
        if (answered || failures >= config.failures()) {
          healthy = false;
          health = EndpointState.Health.NOT_SERVING;
        }
      }
      deliver();
      updatePanic();
      timer = syncContext.schedule(() -> poll(gen), config.interval().toNanos(), TimeUnit.NANOSECONDS,
          helper.getScheduledExecutorService());
    }
  }
}
