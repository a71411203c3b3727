#pragma once
// Result<T>: the error-carrying return type of every core operation that can
// fail on user input. Exceptions are reserved for start-up failures.

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace parley {

// Every error a client can see. The wire name and HTTP status of each are
// defined in one place: protocol/errors.cc.
enum class ErrorCode {
  invalid_json,
  invalid_request,  // missing or wrong-typed field, bad parameter
  unknown_type,
  email_taken,
  conflict,  // the record changed under the caller (another writer won); re-read and retry
  bad_credentials,
  unauthorized,
  forbidden,
  not_found,
  empty_text,
  invalid_utf8,
  text_too_long,
  group_too_large,
  payload_too_large,
  rate_limited,
  overloaded,
  unavailable,  // the store cannot be read or written right now; retrying may succeed
  internal,
};

struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  // Anything T is built from (`return std::nullopt;` for a Result<std::optional<X>>).
  // The constraint excludes Result itself, so copies and moves are not hidden.
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, Error> && !std::is_same_v<std::remove_cvref_t<U>, Result>)
      Result(U&& value)
      : v_(std::in_place_index<0>, std::forward<U>(value)) {
  }  // NOLINT(google-explicit-constructor,bugprone-forwarding-reference-overload)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace parley
