//! The worker side of a lockstep measurement (see [`super`]).

use super::{OK, READY, SAMPLE};
use crate::error::{Error, Result};
use crate::measure::timing::{self, Sampler};
use crate::measure::worker::{Line, Pass, Spec, write_line};
use crate::workloads;
use std::io::{BufRead, Write};
use std::time::Instant;

/// Run one workload's time pass in lockstep: samples on request from `input`,
/// answers and the final line on `out`.
pub fn run(spec: &Spec, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    let [name] = spec.workloads.as_slice() else {
        return Err(Error::Other {
            what: "lockstep worker".into(),
            reason: format!(
                "measures exactly one workload, got {}",
                spec.workloads.len()
            ),
        });
    };
    if spec.pass != Pass::Time {
        return Err(Error::Other {
            what: "lockstep worker".into(),
            reason: "only the time pass runs in lockstep".into(),
        });
    }
    let start = Instant::now();
    let mut line = Line::new(name, spec);
    let outcome = sample_on_request(name, spec, input, out, &mut line);
    line.elapsed_s = start.elapsed().as_secs_f64();
    if let Err(e) = &outcome {
        line.error = Some(e.to_string());
    }
    write_line(out, &line)?;
    outcome
}

fn sample_on_request(
    name: &str,
    spec: &Spec,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    line: &mut Line,
) -> Result<()> {
    let def = workloads::find(name).ok_or_else(|| Error::Workload {
        workload: name.to_string(),
        reason: "not in the catalogue".into(),
    })?;
    let mut w = (def.setup)()?;
    let mut sampler = Sampler::new(w.as_mut(), &timing::Config::new(spec.samples))?;
    line.iters_per_sample = sampler.iters;
    // The other build samples next, on the same CPUs: the engine's workers park rather
    // than poll through its sample (on two threads they took a CPU from it for up to
    // 500 µs a sample, and which build that slowed depended on the builds' teams).
    smallmind::threads::rest();
    reply(out, READY)?;
    let mut request = String::new();
    loop {
        request.clear();
        let n = input
            .read_line(&mut request)
            .map_err(|e| Error::io("<stdin>", e))?;
        match request.trim() {
            _ if n == 0 => break,
            SAMPLE => {
                line.samples_ns.push(sampler.take(w.as_mut())?);
                smallmind::threads::rest();
                reply(out, OK)?;
            }
            other => {
                return Err(Error::Other {
                    what: "lockstep worker".into(),
                    reason: format!("unexpected request {other:?} (expected {SAMPLE:?})"),
                });
            }
        }
    }
    line.retaken = sampler.retaken;
    Ok(())
}

fn reply(out: &mut dyn Write, word: &str) -> Result<()> {
    writeln!(out, "{word}")
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(workloads: &[&str]) -> Spec {
        Spec {
            workloads: workloads.iter().map(|s| s.to_string()).collect(),
            pass: Pass::Time,
            samples: 3,
            process: 4,
        }
    }

    #[test]
    fn answers_each_request_then_writes_every_sample() {
        let mut input = "sample\nsample\nsample\n".as_bytes();
        let mut out = Vec::new();
        run(&spec(&["tensor/add_10k"]), &mut input, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[..4], [READY, OK, OK, OK]);
        let last: Line = serde_json::from_str(lines[4]).unwrap();
        assert_eq!(last.workload, "tensor/add_10k");
        assert_eq!(last.process, 4);
        assert_eq!(last.samples_ns.len(), 3);
        assert!(last.samples_ns.iter().all(|&t| t > 0.0));
        assert!(last.iters_per_sample >= 1);
        assert!(last.error.is_none());
    }

    #[test]
    fn a_bad_request_or_workload_is_reported_in_the_line() {
        let mut out = Vec::new();
        let e = run(
            &spec(&["tensor/add_10k"]),
            &mut "stop\n".as_bytes(),
            &mut out,
        );
        assert!(e.unwrap_err().to_string().contains("unexpected request"));
        let text = String::from_utf8(out).unwrap();
        let last: Line = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert!(last.error.unwrap().contains("stop"));

        let mut out = Vec::new();
        assert!(run(&spec(&["no/such"]), &mut "".as_bytes(), &mut out).is_err());
        assert!(run(&spec(&["a", "b"]), &mut "".as_bytes(), &mut Vec::new()).is_err());
    }
}
