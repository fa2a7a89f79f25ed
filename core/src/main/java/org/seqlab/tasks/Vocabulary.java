package org.seqlab.tasks;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The characters of a text as token ids: the distinct Unicode code points, sorted, id {@code i}
 * being the {@code i}-th smallest. Code points, not Java {@code char}s, so that a character outside
 * the Basic Multilingual Plane (an emoji, say) is one token and never half of one.
 */
public final class Vocabulary {

  /** More distinct characters than this is not a text a character model can learn. */
  public static final int MAX_SIZE = 65_536;

  private final int[] codePoints; // sorted, distinct

  private Vocabulary(int[] sortedDistinct) {
    this.codePoints = sortedDistinct;
  }

  /** The vocabulary of every code point that occurs in {@code text}. */
  public static Vocabulary of(String text) {
    return new Vocabulary(text.codePoints().sorted().distinct().toArray());
  }

  /** The vocabulary holding exactly {@code characters} (each one code point), in any order. */
  public static Vocabulary fromCharacters(List<String> characters) {
    int[] points = new int[characters.size()];
    for (int i = 0; i < points.length; i++) {
      String c = Objects.requireNonNull(characters.get(i), "character");
      if (c.codePointCount(0, c.length()) != 1) {
        throw new IllegalArgumentException(
            "vocabulary entry " + i + " is not one character: \"" + c + "\"");
      }
      points[i] = c.codePointAt(0);
    }
    int[] sorted = points.clone();
    Arrays.sort(sorted);
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i] == sorted[i - 1]) {
        throw new IllegalArgumentException(
            "vocabulary lists \"" + Character.toString(sorted[i]) + "\" twice");
      }
    }
    if (!Arrays.equals(sorted, points)) {
      throw new IllegalArgumentException("vocabulary entries must be sorted by code point");
    }
    return new Vocabulary(sorted);
  }

  public int size() {
    return codePoints.length;
  }

  /** Every character as a one-code-point string, in id order. */
  public List<String> characters() {
    return Arrays.stream(codePoints).mapToObj(Character::toString).toList();
  }

  /** The id of {@code codePoint}, or -1 if the vocabulary lacks it. */
  public int id(int codePoint) {
    int i = Arrays.binarySearch(codePoints, codePoint);
    return i >= 0 ? i : -1;
  }

  /** The character of {@code id} as a string (one code point). */
  public String character(int id) {
    return Character.toString(codePoints[id]);
  }

  /**
   * The ids of every character of {@code text}.
   *
   * @throws IllegalArgumentException naming the first character the vocabulary lacks
   */
  public int[] encode(String text) {
    int[] ids = new int[text.codePointCount(0, text.length())];
    int n = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int id = id(cp);
      if (id < 0) {
        throw new IllegalArgumentException(
            "the character "
                + describe(cp)
                + " at position "
                + n
                + " is not in the model's vocabulary of "
                + size()
                + " characters");
      }
      ids[n++] = id;
      i += Character.charCount(cp);
    }
    return ids;
  }

  /** A character as a person can read it in a message: {@code 'x'} or {@code U+0007}. */
  public static String describe(int codePoint) {
    return Character.isISOControl(codePoint) || Character.isWhitespace(codePoint)
        ? String.format("U+%04X", codePoint)
        : "'" + Character.toString(codePoint) + "'";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Vocabulary v && Arrays.equals(codePoints, v.codePoints);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(codePoints);
  }

  @Override
  public String toString() {
    return "Vocabulary(" + size() + " characters)";
  }
}
