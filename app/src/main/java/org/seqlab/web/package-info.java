/**
 * The web face: {@link org.seqlab.web.LabServer} serves the lab's page and scripts and the JSON API
 * of {@code docs/lab/API.md} over a {@link org.seqlab.lab.Lab}. Every handler reads and checks its
 * request, calls the lab and writes JSON (or streams a run's events): no logic of its own, so
 * everything the page does is done, and tested, in {@code lab}.
 *
 * <p>Of seqlab it imports {@code lab} only (besides Helidon and Jackson). Nothing below imports it;
 * of the faces only {@code cli} does ({@code seqlab lab} starts the server). It may not import
 * {@code cli}.
 */
package org.seqlab.web;
