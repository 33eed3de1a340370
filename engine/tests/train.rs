//! Training: overfitting one sequence, resuming the same loss curve, the MLP workload.

use smallmind::Tensor;
use smallmind::nn::{Gpt2, Gpt2Config, Mlp};
use smallmind::rng::Rng;
use smallmind::train::{
    AdamW, AdamWConfig, ByteCorpus, LrSchedule, TrainConfig, Trainer, optimize,
};

const TEXT: &[u8] =
    b"The profiler runs the workloads, keeps a baseline per commit, and flags what regressed.";

#[test]
fn overfits_one_sequence_below_0_1_within_300_steps() {
    let seq = &TEXT[..65]; // 64 inputs and their 64 next bytes
    let ids: Vec<u32> = seq[..64].iter().map(|&b| b as u32).collect();
    let targets: Vec<u32> = seq[1..].iter().map(|&b| b as u32).collect();
    let mut cfg = TrainConfig::new(1, 64, 300);
    cfg.schedule = LrSchedule {
        max_lr: 3e-3,
        min_lr: 3e-4,
        warmup: 10,
        total: 300,
    };
    cfg.adamw.weight_decay = 0.0;
    let mut tr = Trainer::new(Gpt2::new(Gpt2Config::small(), 0).unwrap(), cfg).unwrap();
    let first = tr.step_on(&ids, &targets, 1).unwrap();
    assert!(
        (first - 256f32.ln()).abs() < 0.3,
        "initial loss {first} should be near ln 256"
    );
    let mut last = first;
    for _ in 1..300 {
        last = tr.step_on(&ids, &targets, 1).unwrap();
        if last < 0.1 {
            break;
        }
    }
    assert!(last < 0.1, "loss {last} after {} steps", tr.step_count());
}

fn tiny_trainer(steps: u64) -> Trainer {
    let cfg = Gpt2Config {
        n_embd: 32,
        n_layer: 2,
        n_head: 4,
        n_positions: 16,
        vocab_size: 256,
        tie_word_embeddings: false,
        layer_norm_epsilon: 1e-5,
    };
    let mut tc = TrainConfig::new(4, 16, steps);
    tc.seed = 9;
    Trainer::new(Gpt2::new(cfg, 4).unwrap(), tc).unwrap()
}

#[test]
fn resuming_a_checkpoint_continues_the_same_loss_curve() {
    let corpus = ByteCorpus::new(TEXT.repeat(3));
    let mut straight = tiny_trainer(8);
    let want: Vec<f32> = (0..8).map(|_| straight.step(&corpus).unwrap()).collect();
    assert!(want[7] < want[0], "loss should fall: {want:?}");

    let mut first = tiny_trainer(8);
    for _ in 0..4 {
        first.step(&corpus).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    first.save(dir.path()).unwrap();
    drop(first);
    let mut resumed = Trainer::resume(dir.path()).unwrap();
    assert_eq!(resumed.step_count(), 4);
    let got: Vec<f32> = (0..4).map(|_| resumed.step(&corpus).unwrap()).collect();
    assert_eq!(got, want[4..], "resumed curve differs");

    // A damaged trainer state is a clear error.
    std::fs::write(dir.path().join("trainer.json"), "{\"schema_version\": 99}").unwrap();
    let err = Trainer::resume(dir.path()).unwrap_err().to_string();
    assert!(err.contains("schema_version"), "{err}");
}

#[test]
fn mlp_learns_a_separable_problem() {
    // 256 → 256 → 256 → 10: the class is the argmax of the first 10 features.
    let mut mlp = Mlp::new(&[256, 256, 256, 10], 1).unwrap();
    assert_eq!(mlp.param_count(), 256 * 256 * 2 + 256 * 10 + 256 + 256 + 10);
    let mut opt = AdamW::new(mlp.graph(), AdamWConfig::default()).unwrap();
    let mut rng = Rng::new(2);
    let x = Tensor::randn(&[32, 256], 1.0, &mut rng).unwrap();
    let y: Vec<u32> = x
        .data()
        .chunks_exact(256)
        .map(|r| (0..10).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap() as u32)
        .collect();
    let mut losses = Vec::new();
    for _ in 0..50 {
        let loss = mlp.loss(&x, &y).unwrap();
        losses.push(optimize(mlp.graph_mut(), loss, &mut opt, 1e-3, None).unwrap());
    }
    assert!(
        losses[49] < 0.2 * losses[0],
        "{:?}",
        (losses[0], losses[49])
    );
}

#[test]
fn bad_training_input_is_refused() {
    let model = Gpt2::new(Gpt2Config::small(), 0).unwrap();
    assert!(Trainer::new(model, TrainConfig::new(1, 65, 10)).is_err());
    let mut tr = tiny_trainer(4);
    let short = ByteCorpus::new(b"too short".to_vec());
    assert!(tr.step(&short).unwrap_err().to_string().contains("9 bytes"));
}
