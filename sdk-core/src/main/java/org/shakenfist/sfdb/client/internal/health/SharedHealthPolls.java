package org.shakenfist.sfdb.client.internal.health;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One health poll loop per gateway instance (its addresses and the {@link PollConfig}) for every subchannel of a
 * scope that is connected to it: one leader's connection carries the polls, every member hears each verdict on
 * its own channel's synchronization context. With {@link #PROCESS} every channel of a process shares them, so an
 * instance sees one {@code Health/Check} per interval from a process, however many channels it built; when the
 * leader's connection leaves, the next member polls at once over its own. A scope of its own per
 * {@link HealthPollingHelper} gives each channel its own polls (tests, one simulated process).
 *
 * <p>The verdict is the loop's: SERVING (or UNIMPLEMENTED: a server without a health service counts as healthy,
 * warned once per scope and instance) makes READY, any other answer TRANSIENT_FAILURE at once, and
 * {@link PollConfig#failures()} unanswered polls in a row too; a loop that never answered is not healthy. A member
 * that joins a loop with a verdict takes it at once; one that joins before the first answer waits for it.
 */
public final class SharedHealthPolls {
  private static final Logger log = Logger.getLogger(SharedHealthPolls.class.getName());
  private static final int DRAWS = 1 << 20;

  /** The process's scope: every channel of this process that polls an instance shares that instance's loop. */
  public static final SharedHealthPolls PROCESS = new SharedHealthPolls();

  private final Map<Key, Loop> loops = new HashMap<>(); // all state below is guarded by this
  private final Set<Key> warnedUnimplemented = new HashSet<>();

  private record Key(List<SocketAddress> addresses, PollConfig config) {}

  /** One connected subchannel's side of a loop: how to poll over it and how to tell it a verdict. */
  interface Member {
    /** Its connection, over which a leader polls. */
    Channel connection();

    /** Its channel's synchronization context (verdicts are delivered there) and scheduler. */
    SynchronizationContext sync();

    ScheduledExecutorService scheduler();

    /** Draws {@code [0, bound)} for the jitter of the waits it schedules as leader. */
    int draw(int bound);

    /** A verdict, on {@link #sync()}; {@code epoch} is the member's at the time it was sent. */
    void verdict(long epoch, ConnectivityStateInfo info);

    /** Its current epoch (read and changed on its {@link #sync()} only). */
    long epoch();
  }

  /** Loops with at least one member (tests). */
  synchronized int loops() {
    return loops.size();
  }

  /**
   * Adds a connected {@code member} to the loop of {@code addresses} (created, and polled at once, when it has
   * none). Call on the member's synchronization context. Returns the loop's verdict, or null before its first.
   */
  Joined join(List<EquivalentAddressGroup> addresses, PollConfig config, Member member) {
    List<SocketAddress> flat = new ArrayList<>();
    for (EquivalentAddressGroup g : addresses) {
      flat.addAll(g.getAddresses());
    }
    Key key = new Key(List.copyOf(flat), config);
    Joined joined;
    synchronized (this) {
      Loop loop = loops.computeIfAbsent(key, Loop::new);
      loop.members.add(member);
      if (loop.leader == null) {
        loop.lead(member);
      }
      joined = new Joined(loop, loop.verdict);
    }
    member.sync().drain(); // the first poll, when it leads (it runs after the caller's task)
    return joined;
  }

  record Joined(Loop loop, ConnectivityStateInfo verdict) {}

  /** Takes {@code member} out of {@code loop}; a loop without members stops and goes. */
  void leave(Loop loop, Member member) {
    ClientCall<?, ?> cancel;
    Member next = null;
    synchronized (this) {
      if (!loop.members.remove(member)) {
        return;
      }
      if (loop.leader != member) {
        return;
      }
      cancel = loop.stopPolling();
      loop.leader = null;
      if (loop.members.isEmpty()) {
        loops.remove(loop.key);
      } else {
        next = loop.members.get(0);
        loop.lead(next);
      }
    }
    if (cancel != null) { // after the generation moved on, so its end is ignored
      cancel.cancel("sfdb: health poll no longer needed", null);
    }
    if (next != null) {
      next.sync().drain(); // the new leader polls at once over its own connection
    }
  }

  /** One instance's polls. */
  final class Loop {
    private final Key key;
    private final List<Member> members = new ArrayList<>();
    private Member leader;
    private long generation;
    private Future<?> timer;
    private ClientCall<?, ?> inFlight;
    private int unanswered;
    private ConnectivityStateInfo verdict; // the last one sent to the members; null before the first

    private Loop(Key key) {
      this.key = key;
    }

    /** Makes {@code m} the leader and queues a poll over it (guarded; the caller drains m's context after). */
    private void lead(Member m) {
      leader = m;
      long gen = ++generation;
      m.sync().executeLater(() -> poll(gen));
    }

    /** Ends the poll under way and the timer (guarded); returns the call to cancel outside the lock. */
    private ClientCall<?, ?> stopPolling() {
      generation++;
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      ClientCall<?, ?> c = inFlight;
      inFlight = null;
      return c;
    }

    private void poll(long gen) {
      ClientCall<HealthCheckRequest, HealthCheckResponse> call;
      synchronized (SharedHealthPolls.this) {
        if (gen != generation) {
          return;
        }
        timer = null;
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(key.config.timeout().toNanos(),
            TimeUnit.NANOSECONDS);
        call = leader.connection().newCall(HealthGrpc.getCheckMethod(), options);
        inFlight = call;
      }
      ClientCalls.asyncUnaryCall(call, HealthChecks.ALL_SERVICES, new StreamObserver<>() {
        @Override
        public void onNext(HealthCheckResponse r) {
          ended(gen, r.getStatus(), null);
        }

        @Override
        public void onError(Throwable t) {
          ended(gen, null, Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {}
      });
    }

    /** An answer ({@code status}) or a failure ({@code failure}) of the poll of generation {@code gen}. */
    private void ended(long gen, ServingStatus status, Status failure) {
      List<Runnable> deliveries = new ArrayList<>();
      synchronized (SharedHealthPolls.this) {
        if (gen != generation) {
          return; // stopped, or a new leader polls
        }
        inFlight = null;
        ConnectivityStateInfo next = null;
        if (status == ServingStatus.SERVING) {
          next = judged(true, null);
        } else if (status != null) { // the server said so: no strikes needed
          next = judged(false, Status.UNAVAILABLE.withDescription("health poll: status " + status));
        } else if (failure.getCode() == Status.Code.UNIMPLEMENTED) {
          if (warnedUnimplemented.add(key)) {
            log.warning("sfdb: gateway " + key.addresses + " has no grpc.health.v1 service; treating it as healthy");
          }
          next = judged(true, null);
        } else if (++unanswered >= key.config.failures() || !healthy()) {
          // silence takes `failures` strikes to remove a healthy instance; one that never answered stays out
          next = judged(false, HealthChecks.unanswered("health poll: " + HealthChecks.describe(failure)));
        }
        if (next != null) {
          verdict = next;
          ConnectivityStateInfo v = next;
          for (Member m : members) {
            long epoch = m.epoch();
            deliveries.add(() -> m.sync().execute(() -> m.verdict(epoch, v)));
          }
        }
        Member l = leader;
        long wait = key.config.jitter() == 0 ? key.config.interval().toNanos()
            : key.config.waitNanos(l.draw(DRAWS) / (double) DRAWS);
        timer = l.scheduler().schedule(() -> l.sync().execute(() -> poll(gen)), wait, TimeUnit.NANOSECONDS);
      }
      deliveries.forEach(Runnable::run); // outside the lock: a member's context may run its tasks right here
    }

    /** Whether the last verdict was healthy (a loop that never answered is not). */
    private boolean healthy() {
      return verdict != null && verdict.getState() == ConnectivityState.READY;
    }

    private ConnectivityStateInfo judged(boolean healthy, Status problem) {
      if (healthy) {
        unanswered = 0;
      }
      return healthy ? ConnectivityStateInfo.forNonError(ConnectivityState.READY)
          : ConnectivityStateInfo.forTransientFailure(problem);
    }
  }
}
