#include "deploy/dockerfile.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace casserole::test {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(" \t\r") - first + 1));
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// Logical instructions: a line ending in a backslash goes on with the next one; comment and
// empty lines are dropped, even inside such a continuation, as Docker does.
std::vector<DockerInstruction> instructions(std::istream& in) {
  std::vector<DockerInstruction> result;
  std::string text;
  int start = 0;
  int number = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++number;
    const std::string line = trim(raw);
    if (line.empty() || line.starts_with('#')) continue;
    if (text.empty()) start = number;
    const bool continued = line.ends_with('\\');
    text += (text.empty() ? "" : " ") + (continued ? line.substr(0, line.size() - 1) : line);
    if (continued) continue;
    std::istringstream split(text);
    DockerInstruction instruction;
    split >> instruction.keyword;
    instruction.keyword = upper(instruction.keyword);
    std::getline(split, instruction.arguments);
    instruction.arguments = trim(instruction.arguments);
    instruction.line = start;
    result.push_back(std::move(instruction));
    text.clear();
  }
  return result;
}

}  // namespace

const DockerStage* Dockerfile::stage(std::string_view name) const {
  const auto it = std::find_if(stages.begin(), stages.end(),
                               [&](const DockerStage& stage) { return stage.name == name; });
  return it == stages.end() ? nullptr : &*it;
}

Dockerfile read_dockerfile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  Dockerfile dockerfile;
  for (auto& instruction : instructions(in)) {
    const std::string where = file.string() + ":" + std::to_string(instruction.line);
    if (instruction.keyword == "FROM") {
      const auto from = words(instruction.arguments);
      if (from.empty() || from.front().starts_with("--")) {
        throw std::runtime_error(where + ": FROM without an image");
      }
      DockerStage stage{from.front(), "", instruction.line, {}};
      if (from.size() == 3 && upper(from[1]) == "AS") stage.name = from[2];
      dockerfile.stages.push_back(std::move(stage));
    } else if (!dockerfile.stages.empty()) {
      dockerfile.stages.back().instructions.push_back(std::move(instruction));
    } else if (instruction.keyword == "ARG") {
      dockerfile.preamble.push_back(std::move(instruction));
    } else {
      throw std::runtime_error(where + ": " + instruction.keyword + " before the first FROM");
    }
  }
  return dockerfile;
}

std::vector<std::string> words(std::string_view arguments) {
  std::vector<std::string> result;
  if (arguments.starts_with('[')) {
    boost::system::error_code error;
    const auto value = boost::json::parse(arguments, error);
    if (error || !value.is_array()) {
      throw std::runtime_error("not a JSON array: " + std::string(arguments));
    }
    for (const auto& item : value.as_array()) {
      if (!item.is_string()) {
        throw std::runtime_error("not an array of strings: " + std::string(arguments));
      }
      result.emplace_back(item.as_string());
    }
    return result;
  }
  std::istringstream split{std::string(arguments)};
  for (std::string word; split >> word;) result.push_back(word);
  return result;
}

std::vector<DockerCopy> copies(const DockerStage& stage) {
  std::vector<DockerCopy> result;
  for (const auto& instruction : stage.instructions) {
    if (instruction.keyword != "COPY") continue;
    DockerCopy copy;
    copy.line = instruction.line;
    for (const auto& word : words(instruction.arguments)) {
      if (word.starts_with("--from=")) {
        copy.from = word.substr(7);
      } else if (!word.starts_with("--")) {
        copy.sources.push_back(word);
      }
    }
    if (copy.sources.size() < 2) {
      throw std::runtime_error("Dockerfile:" + std::to_string(instruction.line) +
                               ": COPY needs a source and a destination");
    }
    copy.destination = copy.sources.back();
    copy.sources.pop_back();
    result.push_back(std::move(copy));
  }
  return result;
}

}  // namespace casserole::test
