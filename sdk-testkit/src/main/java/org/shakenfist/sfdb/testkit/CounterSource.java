package org.shakenfist.sfdb.testkit;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.testkit.internal.PrometheusText;

/**
 * Where the fan-out check reads each instance's {@code database_*_total} counters: in-process from a fake
 * tier, or over HTTP from every instance's Prometheus {@code /metrics} endpoint (a real cluster).
 *
 * <pre>{@code
 * CounterSource real = CounterSource.prometheus(config.hosts(), config.metricsPort());
 * CounterSource.Snapshot s = real.scrape();
 * }</pre>
 */
public interface CounterSource {
  /**
   * Counters per instance at one moment.
   *
   * @param counters instance to its {@code database_*_total} series (reachable instances only)
   * @param errors instance to the reason its counters could not be read
   */
  record Snapshot(Map<String, Map<String, Double>> counters, Map<String, String> errors) {
    public Snapshot {
      counters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(counters));
      errors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(errors));
    }

    /**
     * DatabaseService calls {@code instance} had served: the sum of its unlabelled
     * {@code database_<op>_total} counters ({@code database_requests_total} counts the same calls again by
     * caller and is left out); -1 when its counters could not be read.
     */
    public long served(String instance) {
      Map<String, Double> c = counters.get(instance);
      return c == null ? -1 : (long) PrometheusText.sumOperations(c);
    }
  }

  /** The instances this source reads, in order. */
  List<String> instances();

  /** Reads every instance now. Never throws for one unreachable instance: see {@link Snapshot#errors()}. */
  Snapshot scrape();

  /** In-process source over fake instances (counters of a killed instance stay readable, frozen). */
  static CounterSource of(List<FakeDatabaseInstance> instances) {
    List<FakeDatabaseInstance> copy = List.copyOf(instances);
    return new CounterSource() {
      @Override
      public List<String> instances() {
        return copy.stream().map(FakeDatabaseInstance::name).toList();
      }

      @Override
      public Snapshot scrape() {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        copy.forEach(i -> out.put(i.name(), i.counters()));
        return new Snapshot(out, Map.of());
      }
    };
  }

  /** HTTP source: {@code http://<host>:<metricsPort>/metrics} for every gateway host, labelled by host. */
  static CounterSource prometheus(List<GatewayHost> hosts, int metricsPort) {
    Map<String, URI> uris = new LinkedHashMap<>();
    for (GatewayHost h : hosts) {
      uris.put(h.toString(), URI.create("http://" + h.uriHost() + ":"
          + metricsPort + "/metrics"));
    }
    return prometheus(uris);
  }

  /** HTTP source over explicit {@code /metrics} URIs, labelled by their authority. */
  static CounterSource prometheus(List<URI> metricsUris) {
    Map<String, URI> uris = new LinkedHashMap<>();
    metricsUris.forEach(u -> uris.put(u.getAuthority(), u));
    return prometheus(uris);
  }

  /** HTTP source over labelled {@code /metrics} URIs (5 s connect and request timeouts). */
  static CounterSource prometheus(Map<String, URI> metricsUris) {
    Map<String, URI> uris = new LinkedHashMap<>(metricsUris);
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    return new CounterSource() {
      @Override
      public List<String> instances() {
        return List.copyOf(uris.keySet());
      }

      @Override
      public Snapshot scrape() {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        Map<String, String> errors = new LinkedHashMap<>();
        uris.forEach((instance, uri) -> {
          try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
              errors.put(instance, uri + " answered HTTP " + r.statusCode());
            } else {
              out.put(instance, PrometheusText.databaseCounters(PrometheusText.parse(r.body())));
            }
          } catch (java.io.IOException | IllegalArgumentException e) {
            errors.put(instance, uri + " did not answer: " + e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            errors.put(instance, uri + ": interrupted");
          }
        });
        return new Snapshot(out, errors);
      }
    };
  }
}
