// ACLs: CreateAcls, DescribeAcls and DeleteAcls. A binding crosses the boundary as
// [resourceType, name, patternType, principal, host, operation, permission] with librdkafka's
// enum numbers; a filter is the same with null for "any" name, principal or host.
#include "admin.h"

#include <cmath>
#include <optional>

namespace rdk {

namespace {

struct AclSpec {
  int restype, pattern, operation, permission;
  std::optional<std::string> name, principal, host;
};

std::string Element(const std::string& parameter, uint32_t i) { return parameter + "[" + std::to_string(i) + "]"; }

int EnumAt(Napi::Env env, const Napi::Value& value, const std::string& where, int max) {
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::floor(d) == d && d >= 0 && d <= max) return static_cast<int>(d);
  }
  std::string what = "an integer between 0 and " + std::to_string(max);
  ThrowExpected(env, what.c_str(), where.c_str(), value);
}

std::optional<std::string> TextAt(Napi::Env env, const Napi::Value& value, const std::string& where, bool nullable) {
  if (nullable && value.IsNull()) return std::nullopt;
  std::string s = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (!value.IsString() || s.find('\0') != std::string::npos) {
    ThrowExpected(env, nullable ? "a string or null" : "a string", where.c_str(), value);
  }
  return s;
}

const char* kBindingShape = "[resourceType, name, patternType, principal, host, operation, permission]";

// One binding (a filter when `filter`: null name, principal and host match any).
AclSpec SpecAt(Napi::Env env, const Napi::Value& item, const std::string& where, bool filter) {
  if (!item.IsArray() || item.As<Napi::Array>().Length() != 7) ThrowExpected(env, kBindingShape, where.c_str(), item);
  Napi::Array a = item.As<Napi::Array>();
  AclSpec spec;
  spec.restype = EnumAt(env, a.Get(0u), where + "[0]", RD_KAFKA_RESOURCE__CNT - 1);
  spec.name = TextAt(env, a.Get(1u), where + "[1]", filter);
  spec.pattern = EnumAt(env, a.Get(2u), where + "[2]", RD_KAFKA_RESOURCE_PATTERN_TYPE__CNT - 1);
  spec.principal = TextAt(env, a.Get(3u), where + "[3]", filter);
  spec.host = TextAt(env, a.Get(4u), where + "[4]", filter);
  spec.operation = EnumAt(env, a.Get(5u), where + "[5]", RD_KAFKA_ACL_OPERATION__CNT - 1);
  spec.permission = EnumAt(env, a.Get(6u), where + "[6]", RD_KAFKA_ACL_PERMISSION_TYPE__CNT - 1);
  return spec;
}

std::vector<AclSpec> AclSpecs(const Napi::CallbackInfo& info, size_t i, const char* parameter, bool filter) {
  Napi::Env env = info.Env();
  Napi::Value arg = Arg(info, i);
  if (!arg.IsArray()) ThrowExpected(env, (std::string("an array of ") + kBindingShape).c_str(), parameter, arg);
  Napi::Array items = arg.As<Napi::Array>();
  std::vector<AclSpec> specs;
  for (uint32_t n = 0; n < items.Length(); n++) specs.push_back(SpecAt(env, items.Get(n), Element(parameter, n), filter));
  return specs;
}

// Builds librdkafka's objects; a spec librdkafka refuses leaves its reason in `refused`.
std::vector<rd_kafka_AclBinding_t*> NewBindings(const std::vector<AclSpec>& specs, bool filter, std::string* refused) {
  std::vector<rd_kafka_AclBinding_t*> out;
  auto c = [](const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; };
  for (const AclSpec& s : specs) {
    char errstr[512] = "";
    auto restype = static_cast<rd_kafka_ResourceType_t>(s.restype);
    auto pattern = static_cast<rd_kafka_ResourcePatternType_t>(s.pattern);
    auto operation = static_cast<rd_kafka_AclOperation_t>(s.operation);
    auto permission = static_cast<rd_kafka_AclPermissionType_t>(s.permission);
    rd_kafka_AclBinding_t* b = filter
        ? rd_kafka_AclBindingFilter_new(restype, c(s.name), pattern, c(s.principal), c(s.host), operation, permission, errstr, sizeof errstr)
        : rd_kafka_AclBinding_new(restype, c(s.name), pattern, c(s.principal), c(s.host), operation, permission, errstr, sizeof errstr);
    if (b == nullptr) {
      *refused = errstr;
      rd_kafka_AclBinding_destroy_array(out.data(), out.size());
      return {};
    }
    out.push_back(b);
  }
  return out;
}

Napi::Array BindingTuple(Napi::Env env, const rd_kafka_AclBinding_t* b) {
  Napi::Array t = Napi::Array::New(env, 7);
  t.Set(0u, Napi::Number::New(env, rd_kafka_AclBinding_restype(b)));
  t.Set(1u, Napi::String::New(env, rd_kafka_AclBinding_name(b)));
  t.Set(2u, Napi::Number::New(env, rd_kafka_AclBinding_resource_pattern_type(b)));
  t.Set(3u, Napi::String::New(env, rd_kafka_AclBinding_principal(b)));
  t.Set(4u, Napi::String::New(env, rd_kafka_AclBinding_host(b)));
  t.Set(5u, Napi::Number::New(env, rd_kafka_AclBinding_operation(b)));
  t.Set(6u, Napi::Number::New(env, rd_kafka_AclBinding_permission_type(b)));
  return t;
}

Napi::Array Bindings(Napi::Env env, const rd_kafka_AclBinding_t** bindings, size_t count) {
  Napi::Array out = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; i++) out.Set(static_cast<uint32_t>(i), BindingTuple(env, bindings[i]));
  return out;
}

void SetError(Napi::Array entry, Napi::Env env, const rd_kafka_error_t* error) {
  entry.Set(0u, Napi::Number::New(env, error ? rd_kafka_error_code(error) : 0));
  entry.Set(1u, Napi::String::New(env, error ? rd_kafka_error_string(error) : ""));
}

int TimeoutAt(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<int>(ExpectIntegerOr(info, i, "timeoutMs", 1, INT32_MAX - 10000, 30000));
}

// Runs an ACL request whose specs librdkafka may refuse before sending: [ERR__INVALID_ARG, reason].
template <typename Send>
Napi::Value RunAclRequest(const Napi::CallbackInfo& info, std::vector<AclSpec> specs, bool filter, int timeout_ms,
                          rd_kafka_admin_op_t op, Send send, AdminReader read) {
  auto handle = AdminHandle(info);
  return RunAdmin(info.Env(), handle, timeout_ms, [specs, filter, timeout_ms, op, send](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::string unused;  // the guard below has checked every spec already
    std::vector<rd_kafka_AclBinding_t*> bindings = NewBindings(specs, filter, &unused);
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, op, timeout_ms);
    send(rk, bindings.data(), bindings.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_AclBinding_destroy_array(bindings.data(), bindings.size());
  }, read, [specs, filter, embedded = RefuseEmbeddedBroker(op == RD_KAFKA_ADMIN_OP_CREATEACLS ? "CreateAcls" : op == RD_KAFKA_ADMIN_OP_DESCRIBEACLS ? "DescribeAcls" : "DeleteAcls", timeout_ms)](rd_kafka_t* rk, std::string* message) -> int {
    // Check the specs as librdkafka will, so a refused one is a prompt [code, reason], not a send.
    std::string reason;
    std::vector<rd_kafka_AclBinding_t*> bindings = NewBindings(specs, filter, &reason);
    rd_kafka_AclBinding_destroy_array(bindings.data(), bindings.size());
    if (!reason.empty()) {
      *message = reason;
      return RD_KAFKA_RESP_ERR__INVALID_ARG;
    }
    return embedded(rk, message);
  });
}

// CreateAcls(h, bindings, timeoutMs = 30000) -> Promise<[[code, message], ...] | [code, message]>:
// one result per binding, in order (code 0 created).
Napi::Value CreateAcls(const Napi::CallbackInfo& info) {
  std::vector<AclSpec> specs = AclSpecs(info, 1, "bindings", false);
  return RunAclRequest(info, std::move(specs), false, TimeoutAt(info, 2), RD_KAFKA_ADMIN_OP_CREATEACLS,
      [](rd_kafka_t* rk, rd_kafka_AclBinding_t** b, size_t n, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
        rd_kafka_CreateAcls(rk, b, n, o, q);
      },
      [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
        size_t count = 0;
        const rd_kafka_acl_result_t** results = rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(event), &count);
        Napi::Array out = Napi::Array::New(env, count);
        for (size_t i = 0; i < count; i++) {
          Napi::Array entry = Napi::Array::New(env, 2);
          SetError(entry, env, rd_kafka_acl_result_error(results[i]));
          out.Set(static_cast<uint32_t>(i), entry);
        }
        return out;
      });
}

// DescribeAcls(h, filter, timeoutMs = 30000) -> Promise<[0, bindings] | [code, message]>: the
// bindings matching one filter.
Napi::Value DescribeAcls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value arg = Arg(info, 1);
  std::vector<AclSpec> specs{SpecAt(env, arg, "filter", true)};
  return RunAclRequest(info, std::move(specs), true, TimeoutAt(info, 2), RD_KAFKA_ADMIN_OP_DESCRIBEACLS,
      [](rd_kafka_t* rk, rd_kafka_AclBinding_t** b, size_t, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
        rd_kafka_DescribeAcls(rk, b[0], o, q);
      },
      [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
        size_t count = 0;
        const rd_kafka_AclBinding_t** acls = rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(event), &count);
        Napi::Array out = Napi::Array::New(env, 2);
        out.Set(0u, Napi::Number::New(env, 0));
        out.Set(1u, Bindings(env, acls, count));
        return out;
      });
}

// DeleteAcls(h, filters, timeoutMs = 30000) -> Promise<[[code, message, bindings], ...] | [code,
// message]>: per filter, the bindings it matched and deleted.
Napi::Value DeleteAcls(const Napi::CallbackInfo& info) {
  std::vector<AclSpec> specs = AclSpecs(info, 1, "filters", true);
  return RunAclRequest(info, std::move(specs), true, TimeoutAt(info, 2), RD_KAFKA_ADMIN_OP_DELETEACLS,
      [](rd_kafka_t* rk, rd_kafka_AclBinding_t** b, size_t n, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
        rd_kafka_DeleteAcls(rk, b, n, o, q);
      },
      [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
        size_t count = 0;
        const rd_kafka_DeleteAcls_result_response_t** responses =
            rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(event), &count);
        Napi::Array out = Napi::Array::New(env, count);
        for (size_t i = 0; i < count; i++) {
          Napi::Array entry = Napi::Array::New(env, 3);
          SetError(entry, env, rd_kafka_DeleteAcls_result_response_error(responses[i]));
          size_t matched = 0;
          const rd_kafka_AclBinding_t** acls = rd_kafka_DeleteAcls_result_response_matching_acls(responses[i], &matched);
          entry.Set(2u, Bindings(env, acls, matched));
          out.Set(static_cast<uint32_t>(i), entry);
        }
        return out;
      });
}

}  // namespace

void InitAcls(Napi::Env env, Napi::Object exports) {
  exports.Set("CreateAcls", Napi::Function::New(env, CreateAcls, "CreateAcls"));
  exports.Set("DescribeAcls", Napi::Function::New(env, DescribeAcls, "DescribeAcls"));
  exports.Set("DeleteAcls", Napi::Function::New(env, DeleteAcls, "DeleteAcls"));
}

}  // namespace rdk
