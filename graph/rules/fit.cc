// Fit: the account and each site against the policy's fit checks, with
// site attributes inherited from the account (docs/qualification.md). An
// UNKNOWN check names as its source the account the value was expected on
// last: a site without a value of its own inherits its account's.
#include "graph/rules/qualification_steps.h"

namespace quorum::graph::steps {

bool ContainsIgnoreCase(
    const std::vector<std::string>& have,
    const google::protobuf::RepeatedPtrField<std::string>& wanted,
    bool substring) {
  for (const std::string& h : have) {
    for (const std::string& w : wanted) {
      if (substring ? absl::StrContains(absl::AsciiStrToLower(h),
                                        absl::AsciiStrToLower(w))
                    : absl::EqualsIgnoreCase(h, w)) {
        return true;
      }
    }
  }
  return false;
}

CheckOutcome Judge(const FitCheck& check, const SiteView& v,
                   const Policy& policy) {
  CheckOutcome out;
  out.check = &check;
  auto set = [&](FitResult r, std::string value, const std::string* source) {
    out.result = r;
    out.value = std::move(value);
    out.source = source;
  };
  switch (check.check_case()) {
    case FitCheck::kGeography: {
      const bool own = v.site != nullptr && !v.site->country_code().empty();
      const std::string& country =
          own ? v.site->country_code() : v.account->country_code();
      const std::string& subdivision =
          own ? v.site->subdivision_code()
              : (v.site != nullptr && !v.site->subdivision_code().empty()
                     ? v.site->subdivision_code()
                     : v.account->subdivision_code());
      const std::string* source =
          own || (v.site != nullptr && !v.site->subdivision_code().empty())
              ? &v.site->name()
              : &v.account->name();
      if (country.empty()) {
        // Neither the site nor its account has one: the account is where
        // the site would have inherited it from.
        set(v1::FIT_RESULT_UNKNOWN, "", &v.account->name());
        break;
      }
      std::set<std::string> codes(check.geography().codes().begin(),
                                  check.geography().codes().end());
      for (const std::string& region_id : check.geography().regions()) {
        for (const auto& region : policy.regions()) {
          if (region.id() == region_id) {
            codes.insert(region.codes().begin(), region.codes().end());
          }
        }
      }
      const bool pass = codes.count(country) > 0 ||
                        (!subdivision.empty() && codes.count(subdivision) > 0);
      set(pass ? v1::FIT_RESULT_PASS : v1::FIT_RESULT_FAIL,
          subdivision.empty() ? country : subdivision, source);
      break;
    }
    case FitCheck::kFacilityType: {
      const bool own = v.site != nullptr &&
                       v.site->facility_type() != v1::FACILITY_TYPE_UNSPECIFIED;
      const v1::FacilityType type =
          own ? v.site->facility_type() : v.account->facility_type();
      const std::string* source = own ? &v.site->name() : &v.account->name();
      if (type == v1::FACILITY_TYPE_UNSPECIFIED) {
        set(v1::FIT_RESULT_UNKNOWN, "", &v.account->name());
        break;
      }
      const auto& allowed = check.facility_type().allowed();
      const bool pass =
          std::find(allowed.begin(), allowed.end(), type) != allowed.end();
      set(pass ? v1::FIT_RESULT_PASS : v1::FIT_RESULT_FAIL,
          Short(v1::FacilityType_Name(type), "FACILITY_TYPE_"), source);
      break;
    }
    case FitCheck::kTestingScope:
    case FitCheck::kAccreditation:
    case FitCheck::kCurrentSystems: {
      std::pair<std::vector<std::string>, const std::string*> have;
      const google::protobuf::RepeatedPtrField<std::string>* wanted;
      bool substring = false;
      if (check.has_testing_scope()) {
        have = ListOf(
            v, [](const auto& m) -> const auto& { return m.testing_scopes(); });
        wanted = &check.testing_scope().any_of();
      } else if (check.has_accreditation()) {
        have = ListOf(
            v, [](const auto& m) -> const auto& { return m.accreditations(); });
        wanted = &check.accreditation().any_of();
      } else {
        have = ListOf(
            v,
            [](const auto& m) -> const auto& { return m.current_systems(); });
        wanted = &check.current_systems().any_of();
        substring = true;
      }
      if (have.first.empty()) {
        set(v1::FIT_RESULT_UNKNOWN, "", &v.account->name());
        break;
      }
      set(ContainsIgnoreCase(have.first, *wanted, substring)
              ? v1::FIT_RESULT_PASS
              : v1::FIT_RESULT_FAIL,
          absl::StrJoin(have.first, ", "), have.second);
      break;
    }
    case FitCheck::kAnnualVolume: {
      const bool own = v.site != nullptr && v.site->has_annual_test_volume();
      if (!own && !v.account->has_annual_test_volume()) {
        set(v1::FIT_RESULT_UNKNOWN, "", &v.account->name());
        break;
      }
      const int64_t volume =
          own ? v.site->annual_test_volume() : v.account->annual_test_volume();
      const auto& bounds = check.annual_volume();
      const bool pass = (!bounds.has_min() || volume >= bounds.min()) &&
                        (!bounds.has_max() || volume <= bounds.max());
      set(pass ? v1::FIT_RESULT_PASS : v1::FIT_RESULT_FAIL,
          absl::StrCat(volume), own ? &v.site->name() : &v.account->name());
      break;
    }
    case FitCheck::CHECK_NOT_SET:
      set(v1::FIT_RESULT_UNKNOWN, "", nullptr);
      break;
  }
  return out;
}

std::string AttributeOf(const FitCheck& check) {
  switch (check.check_case()) {
    case FitCheck::kGeography:
      return "country_code";
    case FitCheck::kFacilityType:
      return "facility_type";
    case FitCheck::kTestingScope:
      return "testing_scopes";
    case FitCheck::kAnnualVolume:
      return "annual_test_volume";
    case FitCheck::kAccreditation:
      return "accreditations";
    case FitCheck::kCurrentSystems:
      return "current_systems";
    case FitCheck::CHECK_NOT_SET:
      break;
  }
  return check.id();
}

std::vector<SiteView> JudgedSites(const v1::CommitteeMap& map) {
  std::map<std::string, const Account*> accounts = {
      {map.account().name(), &map.account()}};
  std::vector<Edge> hierarchy;
  for (const Account& a : map.descendants()) {
    accounts[a.name()] = &a;
    hierarchy.push_back(Edge{a.parent(), a.name()});
  }
  std::map<std::string, std::vector<const Site*>> sites;
  for (const Site& s : map.sites()) {
    sites[s.name().substr(0, s.name().find("/sites/"))].push_back(&s);
  }
  std::set<std::string> parents;
  for (const Edge& e : hierarchy) parents.insert(e.from);
  std::vector<SiteView> out;
  for (const std::string& name :
       BreadthFirstOrder(hierarchy, map.account().name())) {
    const Account* account = accounts.at(name);
    auto it = sites.find(name);
    if (it != sites.end()) {
      for (const Site* s : it->second) out.push_back({s->name(), s, account});
    } else if (parents.count(name) == 0) {
      out.push_back({name, nullptr, account});
    }
  }
  return out;
}

FitOutcome AssessFit(const v1::CommitteeMap& map, const Policy& policy) {
  FitOutcome fit;
  bool any_unknown_only = false;
  bool any_fits = false;
  std::vector<std::string> facts;
  for (const SiteView& view : JudgedSites(map)) {
    SiteOutcome& site = fit.sites.emplace_back();
    site.name =
        view.site != nullptr ? &view.site->name() : &view.account->name();
    bool failed = false, unknown = false;
    std::vector<std::string> site_facts;
    for (const FitCheck& check : policy.fit_checks()) {
      CheckOutcome r = Judge(check, view, policy);
      if (check.must_have()) {
        failed |= r.result == v1::FIT_RESULT_FAIL;
        if (r.result == v1::FIT_RESULT_UNKNOWN) {
          unknown = true;
          site_facts.push_back(
              absl::StrCat(AttributeOf(check), " of ", r.source_text()));
        }
      }
      site.checks.push_back(std::move(r));
    }
    site.fits = !failed && !unknown;
    any_fits |= site.fits;
    if (!failed && unknown) {
      any_unknown_only = true;
      for (auto& f : site_facts) {
        if (std::find(facts.begin(), facts.end(), f) == facts.end()) {
          facts.push_back(std::move(f));
        }
      }
    }
  }
  if (any_fits) {
    fit.result = v1::FIT_RESULT_PASS;
  } else if (any_unknown_only) {
    fit.result = v1::FIT_RESULT_UNKNOWN;
    fit.facts_to_gather = std::move(facts);
  } else {
    fit.result = v1::FIT_RESULT_FAIL;
  }
  // Account level per check: PASS if a site passes, FAIL if all fail.
  for (int c = 0; c < policy.fit_checks_size(); ++c) {
    const CheckOutcome* pass = nullptr;
    const CheckOutcome* unknown = nullptr;
    for (const SiteOutcome& site : fit.sites) {
      const CheckOutcome& r = site.checks[c];
      if (r.result == v1::FIT_RESULT_PASS && pass == nullptr) pass = &r;
      if (r.result == v1::FIT_RESULT_UNKNOWN && unknown == nullptr) {
        unknown = &r;
      }
    }
    fit.checks.push_back(
        pass      ? *pass
        : unknown ? *unknown
        : !fit.sites.empty()
            ? fit.sites[0].checks[c]
            : Judge(policy.fit_checks(c),
                    SiteView{map.account().name(), nullptr, &map.account()},
                    policy));
  }
  return fit;
}

}  // namespace quorum::graph::steps
