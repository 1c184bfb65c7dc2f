import Detection
import Foundation
import IsolationForest
import Logging
import MQTT
import Synchronization
import Telemetry

extension AgentService {
    /// Loads and validates the model file, then switches to it between two messages. A bad file keeps the
    /// old model and is reported (log and errors topic).
    func reloadModel() {
        let path = configuration.model.path
        modelFileStamp.withLock { $0 = Self.modificationDate(path) }
        do {
            let model = try AnomalyModel(contentsOfFile: path)
            // Checks the feature specification before touching the running detector.
            let fresh = try Detector(model: model, configuration: configuration.detection, eventNumberFloor: outbox.journal.eventNumberFloor)
            let previous = try core.withLock { (core: inout AgentCore) throws(DetectionError) -> String? in
                let previous = core.detector?.model.id
                if core.detector == nil { core.detector = fresh } else { try core.detector?.replaceModel(model) }
                core.learner = nil
                return previous
            }
            logger.info("model reloaded", metadata: ["model": "\(model.id)", "previous": "\(previous ?? "none")"])
        } catch {
            logger.error("model reload failed; keeping the current model", metadata: ["path": "\(path)", "error": "\(error)"])
            let report = RejectedMessage(agent: configuration.agent, device: nil, topic: path, reason: "model_reload_failed",
                                         detail: String("\(error)".prefix(512)), payload: "", count: 1, ts: .now())
            try? client.publishWithoutWaiting(topics.errors, payload: Self.encode(report), qos: .atLeastOnce)
        }
    }

    func modelFileChanged() -> Bool {
        let stamp = Self.modificationDate(configuration.model.path)
        return modelFileStamp.withLock { $0 != stamp && stamp != nil }
    }

    /// In learn mode, once enough telemetry is in: train (off the hot path), save, and start scoring.
    func finishLearningIfDue() async {
        // Taken out of the core: a copy left behind would be copied whole by the next message's collect, under
        // the hot path's lock. What arrives while the forest trains (a second or so) is not learned from.
        guard let learner = core.withLock({ core -> Learner? in
            guard core.learner?.isDue == true else { return nil }
            defer { core.learner = nil }
            return core.learner
        }) else { return }
        do {
            let model = try learner.train()
            try model.write(toFile: configuration.model.path)
            let detector = try Detector(model: model, configuration: configuration.detection, eventNumberFloor: outbox.journal.eventNumberFloor)
            core.withLock { $0.detector = detector }
            if !learner.ignoredSensors.isEmpty {
                logger.warning("ignored sensor names sent in fewer than \(Learner.admission) of a device's messages, or beyond the first \(Learner.maximumSensors) learned; name the sensors in learn.sensors to choose",
                               metadata: ["ignored": "\(learner.ignoredSensors.sorted().prefix(16).joined(separator: ", "))"])
            }
            modelFileStamp.withLock { $0 = Self.modificationDate(configuration.model.path) }
            logger.info("learned a model; scoring from now on", metadata: [
                "model": "\(model.id)", "messages": "\(learner.messages)", "features": "\(model.featureNames)",
                "threshold": "\(model.threshold)", "path": "\(configuration.model.path)",
            ])
        } catch {
            logger.error("learning failed; collecting more telemetry", metadata: ["error": "\(error)"])
            core.withLock { $0.learner = Learner(configuration: configuration.learn, detection: configuration.detection) }
        }
    }
}
