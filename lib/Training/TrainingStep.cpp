//===- TrainingStep.cpp - A training step from an ONNX model --------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The trainable initializers are turned into graph inputs in the ONNX model
// itself before it is imported, so that no import-time folding can merge a
// parameter into a constant; their values are read by importing a second
// model whose outputs are those initializers. The kiln passes then add the
// loss, differentiate it and add the optimizer's update.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/TrainingStep.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"
#include "kiln/Import/ONNX/ONNXImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <memory>
#include <stdexcept>

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// The ONNX model
//===----------------------------------------------------------------------===//

/// True if `bytes` starts (after blanks and `#` comments) with `<`, as
/// ONNX's textual syntax does.
static bool looksTextual(StringRef bytes) {
  while (true) {
    bytes = bytes.ltrim();
    if (!bytes.starts_with("#"))
      return bytes.starts_with("<");
    bytes = bytes.drop_until([](char c) { return c == '\n'; });
  }
}

/// Parses a model in ONNX's binary or textual form.
static LogicalResult parseModel(StringRef bytes, onnx::ModelProto &model,
                                Location loc) {
  if (!looksTextual(bytes)) {
    if (bytes.size() > static_cast<size_t>(INT_MAX) ||
        !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return emitError(loc) << "not a valid ONNX model (the protobuf does "
                               "not parse; truncated or not an ONNX file?)";
    return success();
  }
  std::string text = bytes.str(), parseError;
  // ONNX's parser reports some errors (a number out of range) as C++
  // exceptions rather than in its status.
  try {
    onnx::OnnxParser parser(text.c_str());
    onnx::Status status = parser.Parse(model);
    if (!status.IsOK())
      parseError = status.ErrorMessage();
  } catch (const std::exception &e) {
    parseError = e.what();
  }
  if (!parseError.empty())
    return emitError(loc) << "cannot parse the ONNX text: " << parseError;
  return success();
}

/// True for the initializer types that become parameters.
static bool isTrainableType(int32_t dataType) {
  return dataType == onnx::TensorProto::FLOAT ||
         dataType == onnx::TensorProto::DOUBLE;
}

/// The bytes of the elements of `attr`, a constant read from the model.
static FailureOr<std::vector<char>> elementBytes(ElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  size_t elementSize = type.getElementTypeBitWidth() / 8;
  size_t size = static_cast<size_t>(type.getNumElements()) * elementSize;
  ArrayRef<char> raw;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    raw = dense.getRawData();
    if (dense.isSplat() && raw.size() == elementSize) {
      std::vector<char> out;
      out.reserve(size);
      for (int64_t i = 0; i < type.getNumElements(); ++i)
        out.insert(out.end(), raw.begin(), raw.end());
      return out;
    }
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      raw = blob->getData();
  }
  if (raw.size() != size)
    return failure();
  return std::vector<char>(raw.begin(), raw.end());
}

OwningOpRef<ModuleOp>
mlir::kiln::buildTrainingStep(StringRef path, MLIRContext &context,
                              const TrainingOptions &options,
                              TrainingArtifacts &artifacts) {
  std::vector<InitialValue> &init = artifacts.init;
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(fileLoc) << "cannot read '" << path
                       << "': " << buffer.getError().message();
    return nullptr;
  }
  onnx::ModelProto model;
  if (failed(parseModel((*buffer)->getBuffer(), model, fileLoc)))
    return nullptr;
  onnx::GraphProto *graph = model.mutable_graph();
  if (graph->output_size() == 0) {
    emitError(fileLoc) << "--train: the model has no output";
    return nullptr;
  }

  // Which initializers are trained.
  llvm::StringSet<> frozen;
  for (const std::string &name : options.freeze) {
    if (llvm::none_of(graph->initializer(), [&](const onnx::TensorProto &t) {
          return t.name() == name;
        })) {
      emitError(fileLoc) << "--freeze: the model has no initializer named '"
                         << name << "'";
      return nullptr;
    }
    frozen.insert(name);
  }
  onnx::ModelProto values = model;
  onnx::GraphProto *valueGraph = values.mutable_graph();
  valueGraph->clear_node();
  valueGraph->clear_input();
  valueGraph->clear_output();
  valueGraph->clear_value_info();
  valueGraph->clear_initializer();
  llvm::StringSet<> graphInputs;
  for (const onnx::ValueInfoProto &in : graph->input()) {
    StringRef name = in.name();
    if (name.starts_with("buffer:")) {
      emitError(fileLoc) << "--train: the model input '" << name
                         << "' takes a name the training step gives its "
                            "own values";
      return nullptr;
    }
    graphInputs.insert(name);
  }
  // Batch normalisation's running statistics are not trained by gradient:
  // they become buffers that the step updates with the batch's statistics.
  llvm::StringSet<> statistics;
  for (const onnx::NodeProto &node : graph->node())
    if (node.op_type() == "BatchNormalization" &&
        (node.domain().empty() || node.domain() == "ai.onnx") &&
        node.input_size() >= 5) {
      statistics.insert(node.input(3));
      statistics.insert(node.input(4));
    }
  // The model kiln-train exports: the original without the values it
  // trains, which it fills in.
  onnx::ModelProto exported = model;
  std::vector<std::string> params, buffers;
  google::protobuf::RepeatedPtrField<onnx::TensorProto> kept;
  for (onnx::TensorProto &t : *graph->mutable_initializer()) {
    if (frozen.contains(t.name()) || !isTrainableType(t.data_type())) {
      *kept.Add() = t;
      continue;
    }
    (statistics.contains(t.name()) ? buffers : params).push_back(t.name());
    valueGraph->add_output()->set_name(t.name());
    *valueGraph->add_initializer() = t;
    // An initializer listed among the graph inputs (as older exporters do)
    // already has its input; the others get one.
    if (graphInputs.contains(t.name()))
      continue;
    onnx::ValueInfoProto *in = graph->add_input();
    in->set_name(t.name());
    onnx::TypeProto_Tensor *tensor = in->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(t.data_type());
    onnx::TensorShapeProto *shape = tensor->mutable_shape();
    for (int64_t d : t.dims())
      shape->add_dim()->set_dim_value(d);
  }
  graph->mutable_initializer()->Swap(&kept);
  if (params.empty()) {
    emitError(fileLoc) << "--train: the model has no float or double "
                          "initializer left to train";
    return nullptr;
  }

  ONNXImportOptions importOptions;
  importOptions.fileName = path.str();
  StringRef dir = llvm::sys::path::parent_path(path);
  importOptions.modelDir = dir.empty() ? "." : dir.str();
  auto import = [&](const onnx::ModelProto &m) -> OwningOpRef<ModuleOp> {
    std::string bytes;
    if (!m.SerializeToString(&bytes)) {
      emitError(fileLoc) << "cannot re-encode the ONNX model";
      return nullptr;
    }
    return importONNX(bytes, context, importOptions);
  };

  // The parameters' initial values.
  llvm::StringMap<ElementsAttr> initialParams;
  {
    OwningOpRef<ModuleOp> valueModule = import(values);
    if (!valueModule)
      return nullptr;
    auto valueFunc = valueModule->lookupSymbol<func::FuncOp>("main");
    auto valueReturn =
        cast<func::ReturnOp>(valueFunc.getBody().front().getTerminator());
    std::vector<std::string> trained;
    for (const onnx::TensorProto &t : valueGraph->initializer())
      trained.push_back(t.name());
    for (auto [name, v] : llvm::zip(trained, valueReturn.getOperands())) {
      auto constant = v.getDefiningOp<ConstantOp>();
      if (!constant) {
        emitError(fileLoc) << "cannot read the value of initializer '" << name
                           << "'";
        return nullptr;
      }
      initialParams[name] = constant.getValue();
    }
    // The values are copied out below, before the module goes away.
    for (const std::string &name : trained) {
      ElementsAttr attr = initialParams[name];
      FailureOr<std::vector<char>> bytes = elementBytes(attr);
      if (failed(bytes)) {
        emitError(fileLoc) << "cannot read the value of initializer '" << name
                           << "'";
        return nullptr;
      }
      init.push_back({(statistics.contains(name) ? "buffer:" : "param:") + name,
                      cast<RankedTensorType>(attr.getType()),
                      std::move(*bytes)});
    }
  }

  OwningOpRef<ModuleOp> module = import(model);
  if (!module)
    return nullptr;

  // `eval`: the forward pass, under the step's input names, before the
  // step is built from `main`.
  {
    auto forward = module->lookupSymbol<func::FuncOp>("main");
    OpBuilder builder(forward);
    builder.setInsertionPointAfter(forward);
    auto eval = cast<func::FuncOp>(builder.clone(*forward));
    eval.setSymName("eval");
    llvm::StringSet<> paramSet;
    for (const std::string &name : params)
      paramSet.insert(name);
    for (unsigned i = 0; i < eval.getNumArguments(); ++i) {
      auto name = eval.getArgAttrOfType<StringAttr>(i, "kiln.name");
      if (!name)
        continue;
      StringRef prefix = paramSet.contains(name.getValue())     ? "param:"
                         : statistics.contains(name.getValue()) ? "buffer:"
                                                                : "";
      if (!prefix.empty())
        eval.setArgAttr(i, "kiln.name",
                        builder.getStringAttr(prefix + name.getValue()));
    }
  }

  PassManager pm(&context);
  KilnAddLossPassOptions lossOptions;
  lossOptions.loss = options.loss;
  lossOptions.output = options.lossOutput;
  pm.addPass(createKilnAddLossPass(lossOptions));
  KilnBatchNormTrainingPassOptions normOptions;
  normOptions.momentum = options.bnMomentum;
  pm.addPass(createKilnBatchNormTrainingPass(normOptions));
  KilnAutodiffPassOptions autodiffOptions;
  autodiffOptions.wrt.assign(params.begin(), params.end());
  autodiffOptions.replace = true;
  pm.addPass(createKilnAutodiffPass(autodiffOptions));
  KilnOptimizerPassOptions optimizerOptions;
  optimizerOptions.optimizer = options.optimizer;
  optimizerOptions.lr = options.lr;
  optimizerOptions.momentum = options.momentum;
  optimizerOptions.nesterov = options.nesterov;
  optimizerOptions.weightDecay = options.weightDecay;
  optimizerOptions.beta1 = options.beta1;
  optimizerOptions.beta2 = options.beta2;
  optimizerOptions.eps = options.eps;
  optimizerOptions.lrSchedule = options.lrSchedule;
  optimizerOptions.lrStepSize = options.lrStepSize;
  optimizerOptions.lrGamma = options.lrGamma;
  optimizerOptions.totalSteps = options.totalSteps;
  optimizerOptions.replace = true;
  pm.addPass(createKilnOptimizerPass(optimizerOptions));
  if (failed(pm.run(*module)))
    return nullptr;

  // What kiln-train needs to know: the loss, the output it is computed on,
  // and the model with the trained values left out.
  llvm::StringSet<> trainedSet;
  for (const std::string &name : params)
    trainedSet.insert(name);
  for (const std::string &name : buffers)
    trainedSet.insert(name);
  for (onnx::TensorProto &t :
       *exported.mutable_graph()->mutable_initializer()) {
    if (!trainedSet.contains(t.name()))
      continue;
    t.clear_raw_data();
    t.clear_float_data();
    t.clear_double_data();
    t.clear_external_data();
    t.clear_data_location();
  }
  if (!exported.SerializeToString(&artifacts.model)) {
    emitError(fileLoc) << "cannot re-encode the ONNX model";
    return nullptr;
  }
  artifacts.info = "loss " + options.loss + "\noutput " +
                   (options.lossOutput.empty() ? graph->output(0).name()
                                               : options.lossOutput) +
                   "\n";

  // The parameters and buffers come first in `init`; then the state and the
  // counter, in the step's argument order.
  auto step = module->lookupSymbol<func::FuncOp>("main");
  for (unsigned i = 0; i < step.getNumArguments(); ++i) {
    auto name = step.getArgAttrOfType<StringAttr>(i, "kiln.name");
    if (!name ||
        !(name.getValue().starts_with("state:") || name.getValue() == "step"))
      continue;
    init.push_back({name.getValue().str(),
                    cast<RankedTensorType>(step.getArgumentTypes()[i]),
                    {}});
  }
  return module;
}

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

llvm::cl::OptionCategory &mlir::kiln::getTrainingOptionCategory() {
  static llvm::cl::OptionCategory category(
      "kilnc --train options",
      "Compile a training step instead of the model (docs/training.md)");
  return category;
}

namespace {
namespace cl = llvm::cl;

struct TrainingCLOptions {
  cl::OptionCategory &cat = getTrainingOptionCategory();
  cl::opt<bool> train{
      "train",
      cl::desc("Compile one training step of the model: initializers become "
               "parameters, a loss is added on an output, and the step "
               "returns the updated parameters and optimizer state; writes "
               "OUTPUT.init.npz with their initial values"),
      cl::cat(cat)};
  cl::opt<std::string> loss{"loss",
                            cl::desc("The loss: cross_entropy (integer class "
                                     "labels; the default) or mse"),
                            cl::init("cross_entropy"), cl::cat(cat)};
  cl::opt<std::string> lossOutput{
      "loss-output",
      cl::desc("The model output the loss is computed on (default: the "
               "first)"),
      cl::value_desc("name"), cl::cat(cat)};
  cl::opt<std::string> optimizer{"optimizer",
                                 cl::desc("sgd (the default), adam or adamw"),
                                 cl::init("sgd"), cl::cat(cat)};
  cl::opt<double> lr{"lr", cl::desc("The learning rate (default 1e-3)"),
                     cl::init(1e-3), cl::cat(cat)};
  cl::opt<double> momentum{"momentum", cl::desc("SGD's momentum (default 0)"),
                           cl::init(0.0), cl::cat(cat)};
  cl::opt<bool> nesterov{"nesterov", cl::desc("SGD with Nesterov momentum"),
                         cl::cat(cat)};
  cl::opt<double> weightDecay{
      "weight-decay",
      cl::desc("Weight decay: L2 for sgd and adam (default 0), decoupled "
               "for adamw (default 0.01)"),
      cl::cat(cat)};
  cl::opt<double> beta1{"beta1", cl::desc("Adam's beta1 (default 0.9)"),
                        cl::init(0.9), cl::cat(cat)};
  cl::opt<double> beta2{"beta2", cl::desc("Adam's beta2 (default 0.999)"),
                        cl::init(0.999), cl::cat(cat)};
  cl::opt<double> eps{"eps", cl::desc("Adam's epsilon (default 1e-8)"),
                      cl::init(1e-8), cl::cat(cat)};
  cl::opt<std::string> lrSchedule{
      "lr-schedule",
      cl::desc("The learning-rate schedule: constant (the default), step "
               "(--lr-step-size, --lr-gamma) or cosine (--total-steps)"),
      cl::init("constant"), cl::cat(cat)};
  cl::opt<int64_t> lrStepSize{
      "lr-step-size",
      cl::desc("With --lr-schedule=step, the steps between decays"),
      cl::init(0), cl::cat(cat)};
  cl::opt<double> lrGamma{
      "lr-gamma",
      cl::desc("With --lr-schedule=step, the decay factor (default 0.1)"),
      cl::init(0.1), cl::cat(cat)};
  cl::opt<int64_t> totalSteps{
      "total-steps",
      cl::desc("With --lr-schedule=cosine, the steps to reach zero"),
      cl::init(0), cl::cat(cat)};
  cl::opt<double> bnMomentum{
      "bn-momentum",
      cl::desc("The momentum of batch normalisation's running statistics, "
               "ONNX's convention: running = m * running + (1 - m) * batch "
               "(default 0.9, PyTorch's 0.1)"),
      cl::init(0.9), cl::cat(cat)};
  cl::list<std::string> freeze{
      "freeze",
      cl::desc("Initializers that stay constants (comma-separated names)"),
      cl::CommaSeparated, cl::value_desc("name,..."), cl::cat(cat)};
};
} // namespace

static llvm::ManagedStatic<TrainingCLOptions> clOptions;

void mlir::kiln::registerTrainingCLOptions() { *clOptions; }

llvm::Expected<std::optional<TrainingOptions>>
mlir::kiln::getTrainingOptionsFromCL() {
  if (!clOptions.isConstructed())
    return std::nullopt;
  TrainingCLOptions &o = *clOptions;
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(message.str());
  };
  if (!o.train) {
    cl::Option *flags[] = {
        &o.loss,     &o.lossOutput, &o.optimizer,   &o.lr,
        &o.momentum, &o.nesterov,   &o.weightDecay, &o.beta1,
        &o.beta2,    &o.eps,        &o.lrSchedule,  &o.lrStepSize,
        &o.lrGamma,  &o.totalSteps, &o.bnMomentum,  std::addressof(o.freeze)};
    for (cl::Option *flag : flags)
      if (flag->getNumOccurrences())
        return error("--" + flag->ArgStr + " needs --train");
    return std::nullopt;
  }
  TrainingOptions options;
  options.loss = o.loss;
  if (options.loss != "cross_entropy" && options.loss != "mse")
    return error("unknown loss '" + options.loss +
                 "' for --loss (cross_entropy, mse)");
  options.optimizer = o.optimizer;
  bool sgd = options.optimizer == "sgd";
  if (!sgd && options.optimizer != "adam" && options.optimizer != "adamw")
    return error("unknown optimizer '" + options.optimizer +
                 "' for --optimizer (sgd, adam, adamw)");
  if (!sgd && (o.momentum.getNumOccurrences() || o.nesterov))
    return error("--momentum and --nesterov are for --optimizer=sgd");
  if (sgd && (o.beta1.getNumOccurrences() || o.beta2.getNumOccurrences() ||
              o.eps.getNumOccurrences()))
    return error("--beta1, --beta2 and --eps are for --optimizer=adam or "
                 "adamw");
  options.lrSchedule = o.lrSchedule;
  if (options.lrSchedule != "constant" && options.lrSchedule != "step" &&
      options.lrSchedule != "cosine")
    return error("unknown schedule '" + options.lrSchedule +
                 "' for --lr-schedule (constant, step, cosine)");
  if (options.lrSchedule == "step" && !o.lrStepSize.getNumOccurrences())
    return error("--lr-schedule=step needs --lr-step-size");
  if (options.lrSchedule == "cosine" && !o.totalSteps.getNumOccurrences())
    return error("--lr-schedule=cosine needs --total-steps");
  if (options.lrSchedule != "step" &&
      (o.lrStepSize.getNumOccurrences() || o.lrGamma.getNumOccurrences()))
    return error("--lr-step-size and --lr-gamma are for --lr-schedule=step");
  if (options.lrSchedule != "cosine" && o.totalSteps.getNumOccurrences())
    return error("--total-steps is for --lr-schedule=cosine");
  options.lossOutput = o.lossOutput;
  options.lr = o.lr;
  options.momentum = o.momentum;
  options.nesterov = o.nesterov;
  options.weightDecay = o.weightDecay.getNumOccurrences() ? o.weightDecay
                        : options.optimizer == "adamw"    ? 0.01
                                                          : 0.0;
  options.beta1 = o.beta1;
  options.beta2 = o.beta2;
  options.eps = o.eps;
  options.lrStepSize = o.lrStepSize.getNumOccurrences() ? o.lrStepSize : 1;
  options.lrGamma = o.lrGamma;
  options.totalSteps = o.totalSteps;
  options.freeze.assign(o.freeze.begin(), o.freeze.end());
  options.bnMomentum = o.bnMomentum;
  if (!(options.bnMomentum >= 0.0 && options.bnMomentum <= 1.0))
    return error("--bn-momentum must be in [0, 1]");
  return options;
}
