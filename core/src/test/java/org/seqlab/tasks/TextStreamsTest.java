package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TextStreamsTest {

  /** Ids 0, 1, 2, ... so a token tells where it came from. */
  private static CharCorpus counting(int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) s.appendCodePoint(0x4E00 + i); // n distinct characters, in order
    return CharCorpus.fromText("counting", s.toString(), null);
  }

  @Test
  void windowsFollowEachStreamAndTargetsAreTheNextCharacter() {
    CharCorpus corpus = counting(1000); // 900 training ids: 0 .. 899
    TextStreams task = new TextStreams(corpus, 5, 4, 0);
    int stream = (900 - 1) / 4; // 224
    assertEquals(stream / 5, task.windowsPerEpoch());
    int offset = task.epochOffset(0);
    assertTrue(offset >= 0 && offset <= stream - task.windowsPerEpoch() * 5);
    Batch first = task.trainingBatch(0), second = task.trainingBatch(1);
    assertFalse(first.continuesPrevious());
    assertTrue(second.continuesPrevious());
    for (int b = 0; b < 4; b++) {
      for (int t = 0; t < 5; t++) {
        assertEquals(b * stream + offset + t, first.inputs()[t * 4 + b]);
        assertEquals(b * stream + offset + t + 1, first.targets()[t * 4 + b]);
      }
      // Row b of the next window goes on where row b of this one stopped.
      assertEquals(first.targets()[4 * 4 + b], second.inputs()[b]);
    }
  }

  @Test
  void epochsStartAtSeededOffsetsAndRepeatExactly() {
    CharCorpus corpus = counting(1000);
    TextStreams task = new TextStreams(corpus, 9, 4, 12); // 224 per stream: 24 windows, 8 spare
    int windows = task.windowsPerEpoch();
    Set<Integer> offsets = new HashSet<>();
    for (int e = 0; e < 20; e++) offsets.add(task.epochOffset(e));
    assertTrue(offsets.size() > 1, "offsets vary between epochs: " + offsets);
    assertEquals(task.epochOffset(3), task.trainingBatch(3L * windows).inputs()[0]);
    assertFalse(task.trainingBatch(3L * windows).continuesPrevious());
    assertArrayEquals(
        task.trainingBatch(3L * windows + 2).inputs(),
        new TextStreams(corpus, 9, 4, 12).trainingBatch(3L * windows + 2).inputs());
    assertEquals("epoch 4, window 3 of " + windows, task.position(3L * windows + 2));
  }

  @Test
  void validationCoversTheLastTenthOnceInContinuingWindows() {
    CharCorpus corpus = counting(1000); // 100 validation ids
    TextStreams task = new TextStreams(corpus, 6, 8, 0);
    List<Batch> v = task.validationBatches();
    int streams = Math.min(8, (100 - 1) / 6);
    assertEquals(streams, v.getFirst().size());
    int length = 99 / streams;
    assertEquals(length / 6, v.size());
    Set<Integer> seen = new HashSet<>();
    for (Batch b : v)
      for (int id : b.targets()) assertTrue(seen.add(id), "target " + id + " twice");
    assertFalse(v.getFirst().continuesPrevious());
    assertTrue(v.get(1).continuesPrevious());
    assertEquals(900 + 1, v.getFirst().targets()[0]);
  }

  @Test
  void aTextTooShortForOneBatchIsRefusedSayingHowMuchIsNeeded() {
    CharCorpus corpus = counting(100); // 90 training ids
    var e = assertThrows(IllegalArgumentException.class, () -> new TextStreams(corpus, 64, 64, 0));
    assertTrue(e.getMessage().contains("B*T+1 = 64*64+1 = 4097"), e.getMessage());
    assertTrue(e.getMessage().contains("it has 90"), e.getMessage());
    var v = assertThrows(IllegalArgumentException.class, () -> new TextStreams(corpus, 20, 2, 0));
    assertTrue(v.getMessage().contains("too short to validate"), v.getMessage());
  }
}
