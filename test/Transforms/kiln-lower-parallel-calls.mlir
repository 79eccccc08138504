// RUN: kiln-opt %s --split-input-file --kiln-lower-parallel-calls --verify-diagnostics | FileCheck %s

// A call of a parallel body becomes a call of kiln_parallel_for with a thunk
// and the call's arguments after the range in a struct on the stack; the
// module gets the hook's global, its exported setter and kiln_parallel_for,
// which calls the thunk over the whole range when no hook is set.
// CHECK-LABEL: llvm.func @main
// CHECK-SAME: (%[[LB:.*]]: i64, %[[UB:.*]]: i64, %[[P:.*]]: !llvm.ptr, %[[X:.*]]: f32)
// CHECK: %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(ptr, f32)>
// CHECK: %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK: llvm.store %[[P]], %[[F0]]
// CHECK: %[[F1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK: llvm.store %[[X]], %[[F1]]
// CHECK: %[[THUNK:.*]] = llvm.mlir.addressof @body_thunk
// CHECK: %[[STEP:.*]] = llvm.mlir.constant(8 : i64)
// CHECK: llvm.call @kiln_parallel_for(%[[THUNK]], %[[CTX]], %[[LB]], %[[UB]], %[[STEP]])
// CHECK-NOT: llvm.call @body(
// CHECK: llvm.func @body(
// CHECK-NOT: kiln.parallel_body
// CHECK: llvm.func internal @body_thunk(%[[TCTX:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK: %[[G0:.*]] = llvm.getelementptr %[[TCTX]][0, 0]
// CHECK: %[[V0:.*]] = llvm.load %[[G0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[G1:.*]] = llvm.getelementptr %[[TCTX]][0, 1]
// CHECK: %[[V1:.*]] = llvm.load %[[G1]] : !llvm.ptr -> f32
// CHECK: llvm.call @body(%[[BEGIN]], %[[END]], %[[V0]], %[[V1]])
// CHECK: llvm.mlir.global internal @kiln_parallel_hook()
// CHECK: llvm.mlir.zero : !llvm.ptr
// CHECK: llvm.func @kiln_set_parallel_hook(%[[HOOK:.*]]: !llvm.ptr)
// CHECK: llvm.store %[[HOOK]]
// CHECK: llvm.func internal @kiln_parallel_for(%[[FN:.*]]: !llvm.ptr, %[[C:.*]]: !llvm.ptr, %[[L:.*]]: i64, %[[U:.*]]: i64, %[[S:.*]]: i64)
// CHECK: %[[H:.*]] = llvm.load
// CHECK: llvm.icmp "eq" %[[H]]
// CHECK: llvm.cond_br
// CHECK: llvm.call %[[FN]](%[[C]], %[[L]], %[[U]])
// CHECK: llvm.call %[[H]](%[[FN]], %[[C]], %[[L]], %[[U]], %[[S]])
llvm.func @main(%lb: i64, %ub: i64, %p: !llvm.ptr, %x: f32) {
  llvm.call @body(%lb, %ub, %p, %x) : (i64, i64, !llvm.ptr, f32) -> ()
  llvm.return
}
llvm.func @body(%begin: i64, %end: i64, %p: !llvm.ptr, %x: f32) attributes {kiln.parallel_body = 8 : i64, sym_visibility = "private"} {
  llvm.return
}

// -----

// A body with nothing captured gets a null context.
// CHECK-LABEL: llvm.func @no_captures
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: llvm.call @kiln_parallel_for(%{{.*}}, %[[NULL]],
llvm.func @no_captures(%lb: i64, %ub: i64) {
  llvm.call @range(%lb, %ub) : (i64, i64) -> ()
  llvm.return
}
llvm.func @range(%begin: i64, %end: i64) attributes {kiln.parallel_body = 1 : i64} {
  llvm.return
}

// -----

// A module without parallel bodies gets no hook: it runs single-threaded.
// CHECK-LABEL: llvm.func @serial
// CHECK-NOT: kiln_set_parallel_hook
// CHECK-NOT: kiln_parallel_for
llvm.func @serial() {
  llvm.return
}

// -----

// expected-error @+1 {{'kiln.parallel_body' needs a positive step}}
llvm.func @bad_step(%begin: i64, %end: i64) attributes {kiln.parallel_body = 0 : i64} {
  llvm.return
}
