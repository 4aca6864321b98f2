// A Dockerfile read into its build stages, so that tests can check its shape without Docker:
// continuation lines joined, comments (and parser directives) dropped, each instruction kept
// with the line it starts on.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace casserole::test {

struct DockerInstruction {
  std::string keyword;    // in upper case: "FROM", "RUN", "COPY", ...
  std::string arguments;  // the rest of the instruction, continuation lines joined by spaces
  int line = 0;           // from 1
};

struct DockerStage {
  std::string base;  // FROM's image or earlier stage
  std::string name;  // after AS; empty when the stage has none
  int line = 0;
  std::vector<DockerInstruction> instructions;  // those after FROM, FROM excluded
};

struct Dockerfile {
  std::vector<DockerInstruction> preamble;  // the ARGs before the first FROM
  std::vector<DockerStage> stages;

  // The stage named `name`, or nullptr.
  const DockerStage* stage(std::string_view name) const;
};

// Throws std::runtime_error, naming the line, for an instruction other than ARG before the first
// FROM or a FROM without an image.
Dockerfile read_dockerfile(const std::filesystem::path& file);

// The words of an instruction's arguments: a JSON array (the exec form) parsed as JSON, anything
// else split at whitespace. Throws std::runtime_error for an array that is not JSON strings.
std::vector<std::string> words(std::string_view arguments);

// A stage's COPY instructions, options other than --from dropped.
struct DockerCopy {
  std::string from;  // the stage copied from; empty for the build context
  std::vector<std::string> sources;
  std::string destination;
  int line = 0;
};
// Throws std::runtime_error, naming the line, for a COPY without a source and a destination.
std::vector<DockerCopy> copies(const DockerStage& stage);

}  // namespace casserole::test
