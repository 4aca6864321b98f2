// Exposition: the Prometheus text format, version 0.0.4, written one metric family at a time: a
// HELP and a TYPE line, then the family's samples. Label values are escaped as the format
// requires, since some (targets, peer addresses) come from outside; names are the caller's
// constants and are written as given.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "metrics/histogram.hpp"

namespace casserole::metrics {

class Exposition {
 public:
  enum class Type { counter, gauge, histogram };
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // Starts the family `name`; the samples that follow belong to it.
  void family(std::string_view name, Type type, std::string_view help);
  void sample(Labels labels, std::uint64_t value);
  void sample(Labels labels, double value);
  // The _bucket, _sum and _count samples of a histogram family.
  void histogram(Labels labels, const Histogram& histogram);

  const std::string& text() const { return text_; }

 private:
  void series(std::string_view suffix, Labels labels,
              std::pair<std::string_view, std::string_view> extra = {});

  std::string text_;
  std::string name_;
};

}  // namespace casserole::metrics
