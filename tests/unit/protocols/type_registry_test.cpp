#include "runtime/messages/type_registry.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"

namespace {

bsm::v1::PingRequest sample_ping() {
  bsm::v1::PingRequest ping;
  ping.set_sequence(42);
  ping.set_payload(std::string("\0\1binary\xff", 10));
  return ping;
}

class TypeRegistry : public ::testing::Test {
protected:
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::type_registry registry = bsm::type_registry::with_bsm_v1_types();
};

TEST_F(TypeRegistry, RoundTripsThroughCafBinarySerializer) {
  auto original = sample_ping();
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  ASSERT_FALSE(sink(original));
  bsm::v1::PingRequest copy;
  caf::binary_deserializer source{sys, buf};
  ASSERT_FALSE(source(copy));
  EXPECT_EQ(copy.sequence(), 42u);
  EXPECT_EQ(copy.payload(), original.payload());
}

TEST_F(TypeRegistry, RoundTripsTypeErasedMessageThroughCafSerializer) {
  auto msg = caf::make_message(sample_ping());
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  ASSERT_FALSE(sink(msg));
  caf::message copy;
  caf::binary_deserializer source{sys, buf};
  ASSERT_FALSE(source(copy));
  ASSERT_TRUE(copy.match_elements<bsm::v1::PingRequest>());
  EXPECT_EQ(copy.get_as<bsm::v1::PingRequest>(0).sequence(), 42u);
}

TEST_F(TypeRegistry, CorruptBytesFailCafDeserializationWithError) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  std::string garbage = "\xff\xff\xff\xff\x0f";
  ASSERT_FALSE(sink(garbage));
  bsm::v1::PingRequest copy;
  caf::binary_deserializer source{sys, buf};
  EXPECT_TRUE(source(copy));
}

TEST_F(TypeRegistry, DecodesWhatItEncodes) {
  auto encoded = registry.encode(caf::make_message(sample_ping()));
  ASSERT_TRUE(encoded) << bsm::render(encoded.error());
  EXPECT_EQ(encoded->type_name, "bsm.v1.PingRequest");
  auto decoded = registry.decode(encoded->type_name, encoded->bytes);
  ASSERT_TRUE(decoded) << bsm::render(decoded.error());
  ASSERT_TRUE(decoded->match_elements<bsm::v1::PingRequest>());
  EXPECT_EQ(decoded->get_as<bsm::v1::PingRequest>(0).payload(),
            sample_ping().payload());
}

TEST_F(TypeRegistry, KnowsEveryBsmV1Type) {
  auto names = registry.names();
  EXPECT_NE(std::find(names.begin(), names.end(), "bsm.v1.Envelope"),
            names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "bsm.v1.SupervisionEvent"),
            names.end());
  EXPECT_TRUE(registry.contains("bsm.v1.TreeRequest"));
  EXPECT_FALSE(registry.contains("bsm.v1.Nope"));
}

TEST_F(TypeRegistry, UnknownTypeNameIsNotFound) {
  auto decoded = registry.decode("bsm.v1.DoesNotExist", "");
  ASSERT_FALSE(decoded);
  EXPECT_TRUE(bsm::is(decoded.error(), bsm::errc::not_found));
  EXPECT_NE(bsm::render(decoded.error()).find("bsm.v1.DoesNotExist"),
            std::string::npos);
}

TEST_F(TypeRegistry, CorruptBytesAreInvalidArgument) {
  // Field 1 as a length-delimited field that claims more bytes than exist.
  auto decoded = registry.decode("bsm.v1.PingRequest", "\x0a\x7f\x01");
  ASSERT_FALSE(decoded);
  EXPECT_TRUE(bsm::is(decoded.error(), bsm::errc::invalid_argument));
}

TEST_F(TypeRegistry, EncodingAnUnregisteredMessageIsInvalidArgument) {
  auto encoded = registry.encode(caf::make_message(std::string{"plain"}));
  ASSERT_FALSE(encoded);
  EXPECT_TRUE(bsm::is(encoded.error(), bsm::errc::invalid_argument));
  auto two = registry.encode(caf::make_message(sample_ping(), sample_ping()));
  EXPECT_FALSE(two);
}

TEST_F(TypeRegistry, RoundTripsTheProtobufJsonMapping) {
  auto json = registry.encode_json(caf::make_message(sample_ping()));
  ASSERT_TRUE(json) << bsm::render(json.error());
  auto decoded = registry.decode_json("bsm.v1.PingRequest", json->bytes);
  ASSERT_TRUE(decoded) << bsm::render(decoded.error());
  EXPECT_EQ(decoded->get_as<bsm::v1::PingRequest>(0).sequence(), 42u);
}

TEST_F(TypeRegistry, RejectsJsonWithUnknownFieldsOrWrongTypes) {
  auto unknown = registry.decode_json("bsm.v1.PingRequest", R"({"nope":1})");
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(bsm::is(unknown.error(), bsm::errc::invalid_argument));
  auto wrong = registry.decode_json("bsm.v1.PingRequest",
                                    R"({"sequence":"not a number"})");
  EXPECT_FALSE(wrong);
  auto broken = registry.decode_json("bsm.v1.PingRequest", R"({"sequence":)");
  EXPECT_FALSE(broken);
}

TEST_F(TypeRegistry, EnvelopeCarriesATypedPayload) {
  bsm::v1::Envelope env;
  env.set_id("01J0000000000000000000000");
  env.set_target("agents/legal");
  env.set_type_name("bsm.v1.PingRequest");
  env.set_payload(sample_ping().SerializeAsString());
  env.set_attempt(2);
  bsm::v1::Envelope copy;
  ASSERT_TRUE(copy.ParseFromString(env.SerializeAsString()));
  auto payload = registry.decode(copy.type_name(), copy.payload());
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->get_as<bsm::v1::PingRequest>(0).sequence(), 42u);
}

} // namespace
