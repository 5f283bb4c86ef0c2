package org.shakenfist.sfdb.client;

import java.util.function.ObjIntConsumer;

/** The comma-separated list syntax shared by the host list and the list-valued variables. */
final class CommaList {
  private CommaList() {}

  /**
   * Calls {@code action} with each non-empty, trimmed item of a comma-separated value and its 1-based
   * position in the value (empty items count for positions, so errors point at the item the user wrote).
   */
  static void forEachItem(String value, ObjIntConsumer<String> action) {
    String[] items = value.split(",", -1);
    for (int i = 0; i < items.length; i++) {
      String item = items[i].strip();
      if (!item.isEmpty()) {
        action.accept(item, i + 1);
      }
    }
  }
}
