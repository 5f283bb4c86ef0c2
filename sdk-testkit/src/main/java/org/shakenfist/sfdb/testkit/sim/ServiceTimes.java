package org.shakenfist.sfdb.testkit.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shipped {@link SimInstance.ServiceTime}s: replayed latencies (from values or a file) and lognormal. */
final class ServiceTimes {
  private ServiceTimes() {}

  static SimInstance.ServiceTime replay(double... latenciesMillis) {
    if (latenciesMillis.length == 0) {
      throw new IllegalArgumentException("a replayed service time needs at least one latency");
    }
    long[] nanos = new long[latenciesMillis.length];
    for (int i = 0; i < nanos.length; i++) {
      if (!(latenciesMillis[i] >= 0)) {
        throw new IllegalArgumentException("latency " + (i + 1) + " is not a non-negative number of ms: "
            + latenciesMillis[i]);
      }
      nanos[i] = (long) (latenciesMillis[i] * 1e6);
    }
    int[] next = {0};
    return (now, r) -> nanos[next[0]++ % nanos.length];
  }

  static SimInstance.ServiceTime replay(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      try {
        values.add(Double.parseDouble(l));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": \"" + l + "\" is not a number of ms");
      }
    }
    if (values.isEmpty()) {
      throw new IllegalArgumentException(file + ": no latencies");
    }
    return replay(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  static SimInstance.ServiceTime lognormal(double medianMillis, double sigma) {
    return (now, r) -> {
      // Box-Muller from the simulation's own random source (deterministic)
      double u1 = 1 - r.nextDouble();
      double u2 = r.nextDouble();
      double z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      return (long) (medianMillis * 1e6 * Math.exp(sigma * z));
    };
  }
}
