package org.seqlab.tasks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A UTF-8 text as token ids, split for a character language model: the first 90% for training, the
 * last 10% for validation (the split Karpathy's char-rnn uses by default).
 *
 * <p>A file that is empty, not valid UTF-8, or binary (a NUL byte, or more than 1% control
 * characters other than tab, newline, carriage return and form feed) is refused with a message that
 * says where the problem is.
 *
 * @param vocabulary the characters of the text, or of a model trained before
 * @param train the training ids, the first 90% of the text
 * @param validation the validation ids, the last 10%
 */
public record CharCorpus(Vocabulary vocabulary, int[] train, int[] validation) {

  /** The fraction of the text kept for validation. */
  public static final double VALIDATION_FRACTION = 0.1;

  /** Files larger than this are refused before they are read (2 GiB: a Java string's limit). */
  public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  /**
   * Reads {@code file} and builds its vocabulary.
   *
   * @throws IllegalArgumentException for a missing, empty, binary or non-UTF-8 file
   */
  public static CharCorpus read(Path file) throws IOException {
    return fromText(file.toString(), readText(file), null);
  }

  /**
   * Reads {@code file} with a fixed vocabulary (the one a checkpoint holds).
   *
   * @throws IllegalArgumentException also when the text has a character outside {@code vocabulary}
   */
  public static CharCorpus read(Path file, Vocabulary vocabulary) throws IOException {
    return fromText(file.toString(), readText(file), vocabulary);
  }

  /** The corpus of {@code text}, named {@code where} in messages. */
  public static CharCorpus fromText(String where, String text, Vocabulary fixed) {
    if (text.isEmpty()) throw new IllegalArgumentException(where + " is empty");
    Vocabulary vocabulary = fixed == null ? Vocabulary.of(text) : fixed;
    if (vocabulary.size() > Vocabulary.MAX_SIZE) {
      throw new IllegalArgumentException(
          where
              + " has "
              + vocabulary.size()
              + " distinct characters; a character model takes at most "
              + Vocabulary.MAX_SIZE);
    }
    int[] ids;
    try {
      ids = vocabulary.encode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    int validationLength = (int) Math.round(ids.length * VALIDATION_FRACTION);
    int trainLength = ids.length - validationLength;
    return new CharCorpus(
        vocabulary,
        Arrays.copyOfRange(ids, 0, trainLength),
        Arrays.copyOfRange(ids, trainLength, ids.length));
  }

  /** The text of {@code file}, checked to be non-empty, valid UTF-8 and not binary. */
  public static String readText(Path file) throws IOException {
    if (!Files.exists(file)) throw new IllegalArgumentException("no such file: " + file);
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + " is not a file");
    long size = Files.size(file);
    if (size == 0) throw new IllegalArgumentException(file + " is empty");
    if (size > MAX_BYTES) {
      throw new IllegalArgumentException(
          file + " has " + size + " bytes; at most " + MAX_BYTES + " can be read");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("no such file: " + file, e);
    }
    int controls = 0;
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      if (b == 0) {
        throw new IllegalArgumentException(
            file + " looks binary (a NUL byte at offset " + i + "); give a UTF-8 text file");
      }
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f') controls++;
    }
    if (controls > bytes.length / 100) {
      throw new IllegalArgumentException(
          file
              + " looks binary ("
              + controls
              + " control bytes in "
              + bytes.length
              + "); give a UTF-8 text file");
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      String text = decoder.decode(in).toString();
      // A byte-order mark says nothing about the text.
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (MalformedInputException e) {
      throw new IllegalArgumentException(
          file + " is not UTF-8 text (an invalid byte sequence at offset " + in.position() + ")",
          e);
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(file + " is not UTF-8 text: " + e.getMessage(), e);
    }
  }
}
