package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharCorpusTest {

  @TempDir Path dir;

  @Test
  void theVocabularyIsTheSortedCodePointsAndTheLastTenthIsValidation() throws Exception {
    Path file = dir.resolve("t.txt");
    Files.writeString(file, "banana bread!", StandardCharsets.UTF_8);
    CharCorpus c = CharCorpus.read(file);
    assertEquals(List.of(" ", "!", "a", "b", "d", "e", "n", "r"), c.vocabulary().characters());
    // 13 characters: round(1.3) = 1 for validation, 12 for training.
    assertEquals(12, c.train().length);
    assertArrayEquals(new int[] {1}, c.validation());
    assertEquals("b", c.vocabulary().character(c.train()[0]));
  }

  @Test
  void aCharacterOutsideTheBasicPlaneIsOneToken() {
    CharCorpus c = CharCorpus.fromText("t", "a😀b😀", null);
    assertEquals(3, c.vocabulary().size());
    assertEquals(4, c.train().length + c.validation().length);
    assertEquals("😀", c.vocabulary().character(c.train()[1]));
  }

  @Test
  void aByteOrderMarkIsNotPartOfTheText() throws Exception {
    Path file = dir.resolve("bom.txt");
    Files.write(file, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'h', 'i'});
    assertEquals(List.of("h", "i"), CharCorpus.read(file).vocabulary().characters());
  }

  @Test
  void badFilesAreRefusedWithWhereTheProblemIs() throws Exception {
    Path empty = dir.resolve("empty.txt");
    Files.write(empty, new byte[0]);
    assertMessage(empty, "is empty");

    Path binary = dir.resolve("data.bin");
    Files.write(binary, new byte[] {'a', 'b', 0, 'c'});
    assertMessage(binary, "looks binary (a NUL byte at offset 2)");

    Path latin1 = dir.resolve("latin1.txt");
    Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9, ' ', 'x'});
    assertMessage(latin1, "is not UTF-8 text (an invalid byte sequence at offset 3)");

    Path controls = dir.resolve("controls.txt");
    byte[] bytes = new byte[200];
    java.util.Arrays.fill(bytes, (byte) 'a');
    for (int i = 0; i < 10; i++) bytes[i * 20] = 7;
    Files.write(controls, bytes);
    assertMessage(controls, "looks binary (10 control bytes in 200)");

    assertMessage(dir.resolve("missing.txt"), "no such file");
    assertMessage(dir, "is not a file");
  }

  @Test
  void aFixedVocabularyRefusesAnUnknownCharacter() {
    Vocabulary v = Vocabulary.of("abc");
    var e = assertThrows(IllegalArgumentException.class, () -> CharCorpus.fromText("t", "abz", v));
    assertTrue(e.getMessage().contains("'z' at position 2"), e.getMessage());
    var tab = assertThrows(IllegalArgumentException.class, () -> v.encode("a\t"));
    assertTrue(tab.getMessage().contains("U+0009"), tab.getMessage());
  }

  @Test
  void aVocabularyRoundTripsThroughItsCharacters() {
    Vocabulary v = Vocabulary.of("hello, wörld 😀");
    assertEquals(v, Vocabulary.fromCharacters(v.characters()));
    assertThrows(
        IllegalArgumentException.class, () -> Vocabulary.fromCharacters(List.of("b", "a")));
    assertThrows(IllegalArgumentException.class, () -> Vocabulary.fromCharacters(List.of("ab")));
    assertThrows(
        IllegalArgumentException.class, () -> Vocabulary.fromCharacters(List.of("a", "a")));
  }

  private static void assertMessage(Path file, String expected) {
    var e = assertThrows(IllegalArgumentException.class, () -> CharCorpus.read(file));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
