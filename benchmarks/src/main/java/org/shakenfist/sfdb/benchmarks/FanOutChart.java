package org.shakenfist.sfdb.benchmarks;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Locale;
import java.util.Map;

/** The fan-out chart of a run: per-instance shares of the calls, from {@code summary.json}. */
final class FanOutChart {
  private final JsonObject summary;

  FanOutChart(JsonObject summary) {
    this.summary = summary;
  }

  /** Grouped bars: one group per (N, threads) scenario of up to 8 instances, one bar per instance. */
  String svg() {
    int groupGap = 30;
    int barW = 14;
    int height = 260;
    int top = 40;
    int plotH = 160;
    int x = 60;
    StringBuilder bars = new StringBuilder();
    String[] colors = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"};
    for (JsonElement e : summary.getAsJsonArray("fanout")) {
      JsonObject s = e.getAsJsonObject();
      int n = s.get("instances").getAsInt();
      if (n < 2 || n > 8) {
        continue;
      }
      long total = s.get("total").getAsLong();
      int start = x;
      int i = 0;
      for (Map.Entry<String, JsonElement> p : s.getAsJsonObject("perInstance").entrySet()) {
        double share = p.getValue().getAsLong() / (double) total;
        int h = (int) Math.round(share / 0.6 * plotH);
        bars.append(String.format(Locale.ROOT,
            "<rect x='%d' y='%d' width='%d' height='%d' fill='%s'><title>%s: %.2f%%</title></rect>%n", x,
            top + plotH - h, barW - 2, h, colors[i % colors.length], p.getKey(), share * 100));
        x += barW;
        i++;
      }
      int ideal = top + plotH - (int) Math.round((1.0 / n) / 0.6 * plotH);
      bars.append(String.format(Locale.ROOT,
          "<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='black' stroke-dasharray='3,2'/>%n", start - 2, x, ideal, ideal));
      bars.append(String.format(Locale.ROOT,
          "<text x='%d' y='%d' font-size='11' text-anchor='middle'>N=%d, %d thr</text>%n", (start + x) / 2,
          top + plotH + 16, n, s.get("threads").getAsInt()));
      x += groupGap;
    }
    int width = x + 20;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif'>%n", width, height));
    svg.append("<rect width='100%' height='100%' fill='white'/>\n");
    svg.append("<text x='10' y='20' font-size='14'>Per-instance share of calls (dashed: 1/N), generated from "
        + "summary.json</text>\n");
    for (int pct = 0; pct <= 60; pct += 10) {
      int y = top + plotH - (int) Math.round(pct / 60.0 * plotH);
      svg.append(String.format(Locale.ROOT,
          "<line x1='50' x2='%d' y1='%d' y2='%d' stroke='#ddd'/><text x='45' y='%d' font-size='10' "
              + "text-anchor='end'>%d%%</text>%n", width - 10, y, y, y + 3, pct));
    }
    svg.append(bars);
    svg.append("</svg>\n");
    return svg.toString();
  }
}
