package org.shakenfist.sfdb.benchmarks;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * The per-trial rows benchmarks write beside JMH's own results (shares of calls per instance), one JSON line
 * per trial, into the directory of system property {@code sfdb.bench.results}; {@link BenchmarkRunner} folds
 * them into {@code summary.json}.
 */
final class TrialRows {
  static final String FANOUT = "fanout-shares.jsonl";
  static final List<String> ALL = List.of(FANOUT);

  private TrialRows() {}

  /** Appends {@code row} to {@code file} (one of the names above) in the results directory. */
  static void append(String file, Map<String, Object> row) throws IOException {
    Path dir = Path.of(System.getProperty("sfdb.bench.results", "results"));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(file), new Gson().toJson(row) + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
