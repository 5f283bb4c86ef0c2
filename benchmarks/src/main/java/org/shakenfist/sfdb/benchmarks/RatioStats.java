package org.shakenfist.sfdb.benchmarks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/** The statistics of the reports: medians, and ratios of setups measured side by side with bootstrap intervals. */
final class RatioStats {
  private static final int RESAMPLES = 10_000;

  private RatioStats() {}

  static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(Double.NaN);
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  static double medianOfAll(List<double[]> rounds) {
    return median(rounds.stream().flatMapToDouble(Arrays::stream).toArray());
  }

  /**
   * Ratio num/den of two setups measured in the same rounds: the median of the per-round ratios of means, and
   * a 99 % percentile-bootstrap interval (rounds resampled, then iterations within each resampled round; the
   * two setups share the resampled round, as they shared the machine).
   */
  static double[] ratio(List<double[]> num, List<double[]> den) {
    int rounds = Math.min(num.size(), den.size());
    if (rounds == 0) {
      return null;
    }
    double[] perRound = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      perRound[r] = mean(num.get(r)) / mean(den.get(r));
    }
    Random random = new Random(42);
    double[] boot = new double[RESAMPLES];
    for (int b = 0; b < RESAMPLES; b++) {
      double sumN = 0;
      double sumD = 0;
      int countN = 0;
      int countD = 0;
      for (int k = 0; k < rounds; k++) {
        int r = random.nextInt(rounds);
        double[] n = num.get(r);
        double[] d = den.get(r);
        for (int i = 0; i < n.length; i++) {
          sumN += n[random.nextInt(n.length)];
        }
        for (int i = 0; i < d.length; i++) {
          sumD += d[random.nextInt(d.length)];
        }
        countN += n.length;
        countD += d.length;
      }
      boot[b] = (sumN / countN) / (sumD / countD);
    }
    return estimate(perRound, boot);
  }

  /**
   * Ratio num/den of two setups interleaved in the same forks, their rounds paired (round i of a fork ran both,
   * back to back): the median of the per-fork ratios of means, and a 99 % percentile-bootstrap interval (forks
   * resampled, then rounds within each resampled fork, the same round for both setups).
   */
  static double[] pairedRatio(List<double[]> num, List<double[]> den) {
    int forks = Math.min(num.size(), den.size());
    if (forks == 0) {
      return null;
    }
    double[] perFork = new double[forks];
    for (int f = 0; f < forks; f++) {
      perFork[f] = mean(num.get(f)) / mean(den.get(f));
    }
    Random random = new Random(42);
    double[] boot = new double[RESAMPLES];
    for (int b = 0; b < RESAMPLES; b++) {
      double sumN = 0;
      double sumD = 0;
      for (int k = 0; k < forks; k++) {
        int f = random.nextInt(forks);
        double[] n = num.get(f);
        double[] d = den.get(f);
        int rounds = Math.min(n.length, d.length);
        for (int i = 0; i < rounds; i++) {
          int r = random.nextInt(rounds);
          sumN += n[r];
          sumD += d[r];
        }
      }
      boot[b] = sumN / sumD;
    }
    return estimate(perFork, boot);
  }

  /** {median of the per-unit ratios, 99 % percentile interval of the bootstrap, units}. */
  private static double[] estimate(double[] perUnit, double[] boot) {
    Arrays.sort(boot);
    return new double[] {median(perUnit), boot[(int) (0.005 * RESAMPLES)], boot[(int) (0.995 * RESAMPLES) - 1],
        perUnit.length};
  }

  static String fmt(double[] r) {
    return r == null ? "n/a" : String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", r[0], r[1], r[2]);
  }

  /** Median, min and max over rounds of num[i] / den[i]; null when either is missing. */
  static double[] perRound(double[] num, double[] den) {
    if (num == null || den == null) {
      return null;
    }
    int n = Math.min(num.length, den.length);
    double[] r = new double[n];
    for (int i = 0; i < n; i++) {
      r[i] = num[i] / den[i];
    }
    return new double[] {median(r), Arrays.stream(r).min().orElse(Double.NaN), Arrays.stream(r).max().orElse(Double.NaN)};
  }
}
