package org.shakenfist.sfdb.testkit.sim;

import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.ManagedChannel;
import io.grpc.SynchronizationContext;
import java.net.SocketAddress;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The simulated channel as the SDK's policy sees it: subchannels that connect to {@link SimInstance}s, the
 * simulation's synchronization context, and its virtual clock as the scheduler.
 */
final class SimHelper extends LoadBalancer.Helper {
  private final Simulation sim;
  private final Simulation.Client client;

  SimHelper(Simulation sim, Simulation.Client client) {
    this.sim = sim;
    this.client = client;
  }

  /** The address of one simulated instance. */
  static final class SimAddress extends SocketAddress {
    private static final long serialVersionUID = 1L;
    final transient SimInstance instance;

    SimAddress(SimInstance instance) {
      this.instance = instance;
    }

    @Override
    public String toString() {
      return instance.name();
    }
  }

  static SimInstance instanceOf(EquivalentAddressGroup group) {
    return ((SimAddress) group.getAddresses().get(0)).instance;
  }

  @Override
  public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
    SimInstance i = instanceOf(args.getAddresses().get(0));
    SimSubchannel s = new SimSubchannel(args, i, sim, client);
    client.connections.get(i).add(s);
    return s;
  }

  @Override
  public void updateBalancingState(ConnectivityState state, LoadBalancer.SubchannelPicker picker) {
    client.newPicker(picker);
  }

  @Override
  public void refreshNameResolution() {}

  @Override
  public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
    throw new UnsupportedOperationException();
  }

  @Override
  public SynchronizationContext getSynchronizationContext() {
    return sim.sync();
  }

  @Override
  public ScheduledExecutorService getScheduledExecutorService() {
    return sim.clock();
  }

  @Override
  public String getAuthority() {
    return "simulated-tier";
  }

  @Override
  public ChannelLogger getChannelLogger() {
    return SimSubchannel.QUIET;
  }
}
