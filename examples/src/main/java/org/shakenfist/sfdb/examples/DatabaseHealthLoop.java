package org.shakenfist.sfdb.examples;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.shakenfist.sfdb.testkit.FakeDatabaseInstance;

/**
 * The real gateway's health loop: every 10 s, SERVING when the database answers, NOT_SERVING when it does not.
 * Stopped before a drain, so a draining gateway stays NOT_SERVING.
 */
final class DatabaseHealthLoop {
  /** As the real gateway's. */
  static final Duration INTERVAL = Duration.ofSeconds(10);

  private final GatewayDatabase db;
  private final FakeDatabaseInstance gateway;
  private final Consumer<String> log;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "sfdb-gateway-db-health");
    t.setDaemon(true);
    return t;
  });
  private boolean stopped; // guarded by this

  private DatabaseHealthLoop(GatewayDatabase db, FakeDatabaseInstance gateway, Consumer<String> log) {
    this.db = db;
    this.gateway = gateway;
    this.log = log;
  }

  static DatabaseHealthLoop start(GatewayDatabase db, FakeDatabaseInstance gateway, Consumer<String> log) {
    DatabaseHealthLoop loop = new DatabaseHealthLoop(db, gateway, log);
    loop.timer.scheduleWithFixedDelay(loop::check, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return loop;
  }

  private void check() {
    boolean reachable = db.reachable();
    synchronized (this) {
      if (stopped) {
        return;
      }
      if (reachable != gateway.isServing()) {
        log.accept(reachable ? "database reachable again: SERVING" : "database unreachable: NOT_SERVING");
      }
      gateway.setServing(reachable);
    }
  }

  /** No health change after this returns. */
  void stop() {
    synchronized (this) {
      stopped = true;
    }
    timer.shutdownNow();
  }
}
