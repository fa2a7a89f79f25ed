package org.seqlab;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The packages tell the story of the data flow; these rules keep it one-way. */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.seqlab");
  }

  @Test
  void kernelsDependOnNoOtherPackage() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.tensor..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.seqlab.nn..",
            "org.seqlab.train..",
            "org.seqlab.tasks..",
            "org.seqlab.probe..",
            "org.seqlab.experiments..",
            "org.seqlab.io..",
            "org.seqlab.view..",
            "org.seqlab.cli..")
        .check(classes);
  }

  @Test
  void layersNeverReachTheSurface() {
    noClasses()
        .that()
        .resideInAnyPackage("org.seqlab.nn..", "org.seqlab.train..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.seqlab.probe..",
            "org.seqlab.experiments..",
            "org.seqlab.io..",
            "org.seqlab.view..",
            "org.seqlab.cli..")
        .check(classes);
  }

  @Test
  void tasksOnlyMakeData() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.tasks..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.seqlab.train..",
            "org.seqlab.probe..",
            "org.seqlab.experiments..",
            "org.seqlab.io..",
            "org.seqlab.view..",
            "org.seqlab.cli..")
        .check(classes);
  }

  @Test
  void theEngineKnowsNothingOfFilesOrViews() {
    // The training engine reports to listeners; writing run directories and drawing is theirs.
    noClasses()
        .that()
        .resideInAnyPackage("org.seqlab.train..", "org.seqlab.nn..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.experiments..", "com.fasterxml..", "org.knowm..")
        .check(classes);
  }

  @Test
  void onlyTheCommandLineKnowsTheCommandLine() {
    noClasses()
        .that()
        .resideOutsideOfPackage("org.seqlab.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.seqlab.cli..")
        .check(classes);
    noClasses()
        .that()
        .resideOutsideOfPackage("org.seqlab.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("picocli..")
        .check(classes);
  }

  @Test
  void facesStayOnTop() {
    // The lab is used by the web face and by the command line that starts it (seqlab lab counts
    // the runs still going when it stops), the web face by the command line only, and the views
    // (shared by every face) use no face.
    noClasses()
        .that()
        .resideOutsideOfPackages("org.seqlab.lab..", "org.seqlab.web..", "org.seqlab.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.seqlab.lab..")
        .check(classes);
    noClasses()
        .that()
        .resideOutsideOfPackages("org.seqlab.web..", "org.seqlab.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.seqlab.web..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.view..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.experiments..", "org.seqlab.lab..", "org.seqlab.web..")
        .check(classes);
  }

  @Test
  void probesAndTheEngineReadOnlyTheModel() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.probe..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.train..", "org.seqlab.tasks..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.nn..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.tasks..", "org.seqlab.train..")
        .check(classes);
  }
}
