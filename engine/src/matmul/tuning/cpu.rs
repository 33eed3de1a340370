//! Which CPU this is, as CPUID names it: the key a calibration is cached under.
//!
//! Vendor, family and model (with their extended fields, as the vendors define the
//! display family and model) identify a micro-architecture; two CPUs with the same
//! triple share kernels, ports and cache geometry, so one calibration serves both.
//! Stepping and the brand string are recorded but not part of the key.

use serde::{Deserialize, Serialize};

/// A CPU model as CPUID reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuId {
    /// Leaf 0 vendor string (`GenuineIntel`, `AuthenticAMD`), `unknown` off x86.
    pub vendor: String,
    /// Display family (base family, plus the extended family when the base is 15).
    pub family: u32,
    /// Display model (the extended model prepended for families 6 and 15).
    pub model: u32,
    /// Stepping (recorded, not part of the key).
    pub stepping: u32,
    /// The brand string (leaves 0x80000002–4), trimmed; often generic in a VM.
    pub brand: String,
}

impl CpuId {
    /// This CPU (read once per call; cheap).
    pub fn detect() -> CpuId {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::__cpuid;
            // Leaves above the reported maximum are not queried.
            let l0 = __cpuid(0);
            let vendor: Vec<u8> = [l0.ebx, l0.edx, l0.ecx]
                .iter()
                .flat_map(|r| r.to_le_bytes())
                .collect();
            let (mut family, mut model, mut stepping) = (0, 0, 0);
            if l0.eax >= 1 {
                let eax = __cpuid(1).eax;
                (family, model, stepping) = display_family_model(eax);
            }
            let max_ext = __cpuid(0x8000_0000).eax;
            let mut brand = Vec::new();
            if max_ext >= 0x8000_0004 {
                for leaf in 0x8000_0002u32..=0x8000_0004 {
                    let r = __cpuid(leaf);
                    for reg in [r.eax, r.ebx, r.ecx, r.edx] {
                        brand.extend_from_slice(&reg.to_le_bytes());
                    }
                }
            }
            CpuId {
                vendor: clean(&vendor),
                family,
                model,
                stepping,
                brand: clean(&brand),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            CpuId {
                vendor: "unknown".into(),
                family: 0,
                model: 0,
                stepping: 0,
                brand: String::new(),
            }
        }
    }

    /// The cache key: `<vendor>-<family>-<model>`, e.g. `AuthenticAMD-25-17`, made of
    /// characters safe in a file name.
    pub fn key(&self) -> String {
        let vendor: String = self
            .vendor
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let vendor = if vendor.is_empty() {
            "unknown".into()
        } else {
            vendor
        };
        format!("{vendor}-{}-{}", self.family, self.model)
    }
}

/// Family, model and stepping of CPUID leaf 1's EAX, as Intel and AMD define the
/// displayed values.
pub fn display_family_model(eax: u32) -> (u32, u32, u32) {
    let stepping = eax & 0xf;
    let base_model = (eax >> 4) & 0xf;
    let base_family = (eax >> 8) & 0xf;
    let ext_model = (eax >> 16) & 0xf;
    let ext_family = (eax >> 20) & 0xff;
    let family = if base_family == 0xf {
        base_family + ext_family
    } else {
        base_family
    };
    let model = if base_family == 0x6 || base_family == 0xf {
        (ext_model << 4) | base_model
    } else {
        base_model
    };
    (family, model, stepping)
}

/// Bytes of a CPUID string, NULs dropped and whitespace trimmed.
fn clean(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace('\0', "")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_and_model_follow_the_vendor_rules() {
        // Ice Lake-SP: family 6, model 106 (0x6a), stepping 6.
        assert_eq!(display_family_model(0x0006_06a6), (6, 106, 6));
        // Zen 4 (Genoa): family 25 (0xf + 0xa), model 17 (0x11), stepping 1.
        assert_eq!(display_family_model(0x00a1_0f11), (25, 17, 1));
        // Zen 5 (Turin): family 26, model 2.
        assert_eq!(display_family_model(0x00b0_0f20), (26, 2, 0));
        // A base family other than 6 and 15 ignores the extended fields.
        assert_eq!(display_family_model(0x00f5_0532), (5, 3, 2));
    }

    #[test]
    fn the_key_is_a_safe_file_name() {
        let cpu = CpuId {
            vendor: "Genuine Intel/x".into(),
            family: 6,
            model: 106,
            stepping: 6,
            brand: "Intel(R) Xeon(R)".into(),
        };
        assert_eq!(cpu.key(), "Genuine_Intel_x-6-106");
        let here = CpuId::detect();
        assert!(
            here.key()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{here:?}"
        );
    }
}
