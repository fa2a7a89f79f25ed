package org.seqlab.experiments.sweep;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with columns padded to their widest cell, the first left-aligned. */
final class TextTable {
  private TextTable() {}

  static String render(List<String> header, List<List<String>> rows) {
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    int columns = header.size();
    int[] width = new int[columns];
    for (List<String> row : all) {
      for (int c = 0; c < columns; c++) {
        width[c] = Math.max(width[c], c < row.size() ? row.get(c).length() : 0);
      }
    }
    StringBuilder s = new StringBuilder();
    for (int r = 0; r < all.size(); r++) {
      List<String> row = all.get(r);
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        String cell = c < row.size() ? row.get(c) : "";
        String pad = " ".repeat(width[c] - cell.length());
        if (c > 0) line.append("  ");
        line.append(c == 0 ? cell + pad : pad + cell);
      }
      s.append(line.toString().stripTrailing()).append('\n');
      if (r == 0) {
        int total = 0;
        for (int w : width) total += w;
        s.append("-".repeat(total + 2 * (columns - 1))).append('\n');
      }
    }
    return s.toString();
  }
}
