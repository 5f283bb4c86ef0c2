package org.shakenfist.sfdb.testkit.sim;

import java.util.List;
import java.util.Locale;

/** Renders a {@link SimResult} as an SVG timeline (deterministic text: equal results give equal bytes). */
final class SimTimeline {
  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
      "#e377c2", "#17becf"};
  private static final int WIDTH = 720;
  private static final int HEIGHT = 260;
  private static final int LEFT = 48;
  private static final int RIGHT = 120;
  private static final int TOP = 28;
  private static final int BOTTOM = 32;

  private SimTimeline() {}

  static String svg(SimResult r) {
    List<String> names = List.copyOf(r.perInstance().keySet());
    int seconds = r.perSecond().length;
    double plotW = WIDTH - LEFT - RIGHT;
    double plotH = HEIGHT - TOP - BOTTOM;
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, HEIGHT));
    b.append("<title>").append(escape(r.scenario())).append("</title>\n");
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\">%s</text>%n", LEFT, escape(r.scenario())));
    for (SimResult.FaultOutcome f : r.faults()) {
      double x0 = LEFT + plotW * f.fromSeconds() / seconds;
      double x1 = LEFT + plotW * Math.min(seconds, f.toSeconds()) / seconds;
      b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" "
          + "fill=\"#f2d7d5\"><title>fault of %s</title></rect>%n", x0, TOP, x1 - x0, plotH, f.instance()));
    }
    b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
        + "stroke=\"#888\"/>%n", LEFT, TOP, plotW, plotH));
    for (double tick : new double[] {0, 0.25, 0.5, 0.75, 1}) {
      double y = TOP + plotH * (1 - tick);
      b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f%%</text>%n",
          LEFT - 4, y + 4, tick * 100));
    }
    for (int s = 0; s <= seconds; s += Math.max(1, seconds / 6)) {
      b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d s</text>%n",
          LEFT + plotW * s / seconds, HEIGHT - BOTTOM + 16, s));
    }
    double even = TOP + plotH * (1 - 1.0 / names.size());
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\" "
        + "stroke-dasharray=\"4 3\"><title>even share</title></line>%n", LEFT, even, LEFT + plotW, even));
    for (int i = 0; i < names.size(); i++) {
      StringBuilder points = new StringBuilder();
      for (int s = 0; s < seconds; s++) {
        points.append(String.format(Locale.ROOT, "%s%.1f,%.1f", s == 0 ? "" : " ", LEFT + plotW * (s + 0.5) / seconds,
            TOP + plotH * (1 - r.shareInSecond(names.get(i), s))));
      }
      String colour = COLOURS[i % COLOURS.length];
      b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
          + "points=\"%s\"/>%n", colour, points));
      b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text>%n", LEFT + plotW + 10,
          TOP + 14 * (i + 1), colour, escape(names.get(i))));
    }
    return b.append("</svg>\n").toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
